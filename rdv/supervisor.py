"""`rdv up`: the whole system on one machine, as child processes of one supervisor.

Embedded NATS and PostgreSQL start unless NATS_URL / <SERVICE>_DATABASE_URL are set;
each service and the gateway run as `rdv service <name>`, their log lines prefixed;
a service that dies is restarted, and so is an embedded server (NATS, PostgreSQL) on its own data
folder; SIGINT/SIGTERM stop everything, PostgreSQL last.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from rdv.demo_data import DEMO_LOGINS
from rdv.embedded import EmbeddedNats, EmbeddedPostgres, _die_with_parent, port_open
from rdv.processes import ALL, database_name, migrate_all
from rdv.seed import seed_if_needed
from shared import natsauth
from shared.settings import DEFAULT_PORTS

COLOURS = {"gateway": 36, "availability": 32, "booking": 33, "usagers": 35, "notifications": 34,
           "reporting": 31, "nats": 90, "postgres": 90}


@dataclass
class Child:
    name: str
    port: int
    proc: asyncio.subprocess.Process | None = None
    restarts: int = 0
    pump: asyncio.Task | None = None


@dataclass
class Server:
    """An embedded server the supervisor started, and restarts on the same data folder if it dies."""
    name: str
    server: EmbeddedNats | EmbeddedPostgres
    restarts: int = 0
    watch: asyncio.Task | None = None


@dataclass
class System:
    data_dir: Path
    env: dict[str, str]
    replicas: dict[str, int] = field(default_factory=dict)
    pg: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    nats_nodes: list[EmbeddedNats] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)
    stopping: bool = False

    # ---------- infrastructure ----------
    def start_infrastructure(self, *, fast_pg: bool = False) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = self.env
        if not env.get("NATS_URL"):
            self.start_nats()
        missing = [s for s in ALL if not env.get(f"{s.upper()}_DATABASE_URL")]
        if missing:
            port = int(env.get("RDV_PG_PORT", "54329"))
            if port_open(port):
                raise SystemExit(f"Le port {port} (PostgreSQL) est déjà utilisé: arrêtez l'autre instance "
                                 "ou choisissez RDV_PG_PORT.")
            self.pg = EmbeddedPostgres(self.data_dir, port, fast=fast_pg)
            self.pg.start()
            self.servers.append(Server("postgres", self.pg))
            for service in missing:
                self.pg.create_database(database_name(service))
                env[f"{service.upper()}_DATABASE_URL"] = self.pg.db_url(database_name(service))
            say("postgres", f"PostgreSQL prêt sur 127.0.0.1:{port}")

    def start_nats(self) -> None:
        """The embedded NATS: one server, or (RDV_NATS_CLUSTER=3) a JetStream cluster of 3 nodes on loopback
        (client ports RDV_NATS_PORT + 0, 1, 2; routes RDV_NATS_PORT + 100 + 0, 1, 2), streams replicated 3 times.
        Anonymous connections refused: one user per service, passwords generated once under the data folder
        (shared.natsauth)."""
        env = self.env
        nodes = int(env.get("RDV_NATS_CLUSTER") or "1")
        if nodes not in (1, 3):
            raise SystemExit(f"RDV_NATS_CLUSTER={nodes} : 1 (un serveur) ou 3 (cluster JetStream)")
        base = int(env.get("RDV_NATS_PORT", "4222"))
        ports = [base + i for i in range(nodes)]
        routes = [base + 100 + i for i in range(nodes)] if nodes > 1 else []
        for port in ports + routes:
            if port_open(port):
                raise SystemExit(f"Le port {port} (NATS) est déjà utilisé: arrêtez l'autre instance "
                                 "ou choisissez RDV_NATS_PORT.")
        auth = natsauth.write_server_config(self.data_dir)
        env["RDV_NATS_USERS_FILE"] = str(natsauth.users_file(self.data_dir))
        if nodes == 1:
            self.nats = EmbeddedNats(self.data_dir, base, auth_conf=auth)
            self.nats.start()
            self.nats_nodes = [self.nats]
            self.servers.append(Server("nats", self.nats))
            env["NATS_URL"] = self.nats.url
            say("nats", f"NATS JetStream prêt sur {self.nats.url}")
            return
        self.nats_nodes = [EmbeddedNats(self.data_dir, port, auth_conf=auth, node=i + 1, cluster_ports=routes)
                           for i, port in enumerate(ports)]
        for node in self.nats_nodes:
            node.launch()
        for node in self.nats_nodes:
            self.servers.append(Server(f"nats-{node.node}", node))
        env["NATS_URL"] = ",".join(node.url for node in self.nats_nodes)
        env.setdefault("RDV_STREAM_REPLICAS", str(nodes))
        wait_for_jetstream_cluster(env["NATS_URL"], natsauth.credentials_for(natsauth.ADMIN, env))
        say("nats", f"cluster JetStream de {nodes} nœuds prêt sur {env['NATS_URL']} "
                    f"(flux répliqués {env['RDV_STREAM_REPLICAS']} fois)")

    # ---------- healing ----------
    def watch_servers(self) -> None:
        """One watcher per embedded server (called from the main thread: children die with us)."""
        for server in self.servers:
            server.watch = asyncio.create_task(self._watch(server), name=f"watch-{server.name}")

    async def _watch(self, server: Server) -> None:
        while not self.stopping:
            proc = server.server.proc
            if proc is not None and proc.poll() is not None:
                await self._heal(server, proc.returncode)
            await asyncio.sleep(0.2)

    async def _heal(self, server: Server, code: int | None) -> None:
        server.restarts += 1
        say(server.name, f"s'est arrêté (code {code}); redémarrage n°{server.restarts} "
                         f"sur les mêmes données ({server.server.data_dir})")
        pause = 0.2
        started = time.time()
        while not self.stopping:
            server.server.launch()
            deadline = time.time() + 30
            while time.time() < deadline and server.server.proc.poll() is None and not self.stopping:
                if await asyncio.to_thread(server.server.ready):
                    say(server.name, f"de nouveau prêt en {time.time() - started:.1f} s "
                                     f"(redémarrage n°{server.restarts})")
                    return
                await asyncio.sleep(0.1)
            if self.stopping:
                return
            if server.server.proc.poll() is None:  # up but never ready: start over
                server.server.proc.kill()
                server.server.proc.wait()
            say(server.name, f"n'a pas redémarré (code {server.server.proc.returncode}); "
                             f"nouvel essai dans {pause:.1f} s")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    def migrate(self) -> None:
        migrate_all(self.env)

    # ---------- services ----------
    def plan(self) -> None:
        urls: dict[str, list[str]] = {}
        for name in ALL:
            base = int(self.env.get(f"{name.upper()}_PORT") or (self.env.get("RDV_PORT") if name == "gateway" else 0)
                       or DEFAULT_PORTS[name])
            count = 1 if name == "gateway" else self.replicas.get(name, 1)
            for i in range(count):
                port = base + 10 * i
                self.children.append(Child(name if count == 1 else f"{name}-{i + 1}", port))
                urls.setdefault(name, []).append(f"http://127.0.0.1:{port}")
        for name, list_ in urls.items():
            if name != "gateway":
                self.env[f"{name.upper()}_URL"] = ",".join(list_)

    async def spawn(self, child: Child) -> None:
        service = child.name.split("-")[0]
        env = dict(self.env)
        env[f"{service.upper()}_PORT"] = str(child.port)
        if service == "gateway":
            env["RDV_PORT"] = str(child.port)
        env["PYTHONUNBUFFERED"] = "1"
        if not env.get("NATS_USER"):  # each process its own NATS user (dev: generated passwords)
            creds = natsauth.credentials_for(service, env) if env.get("RDV_NATS_USERS_FILE") else None
            if creds:
                env["NATS_USER"], env["NATS_PASSWORD"] = creds
        child.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rdv.cli", "service", service, "--port", str(child.port),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_parent)
        child.pump = asyncio.create_task(self._pump(child))

    async def _pump(self, child: Child) -> None:
        assert child.proc and child.proc.stdout
        async for line in child.proc.stdout:
            say(child.name, line.decode(errors="replace").rstrip())
        code = await child.proc.wait()
        if not self.stopping:
            child.restarts += 1
            say(child.name, f"s'est arrêté (code {code}); redémarrage n°{child.restarts}")
            await asyncio.sleep(min(0.5 * child.restarts, 5))
            if not self.stopping:
                await self.spawn(child)

    async def wait_ready(self, timeout: float = 90.0) -> None:
        gateway = next(c for c in self.children if c.name == "gateway")
        deadline = time.time() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.time() < deadline:
                try:
                    resp = await client.get(f"http://127.0.0.1:{gateway.port}/readyz")
                    if resp.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.25)
        raise RuntimeError("le système n'est pas prêt après le délai")

    async def stop_children(self) -> None:
        self.stopping = True
        for child in self.children:
            if child.proc and child.proc.returncode is None:
                child.proc.terminate()
        for child in self.children:
            if child.proc and child.proc.returncode is None:
                try:
                    await asyncio.wait_for(child.proc.wait(), 10)
                except asyncio.TimeoutError:
                    child.proc.kill()
                    await child.proc.wait()
            if child.pump:
                child.pump.cancel()

    def stop_infrastructure(self) -> None:
        self.stopping = True
        for server in self.servers:
            if server.watch:
                server.watch.cancel()
        for node in self.nats_nodes:
            node.stop()
        if self.pg:
            self.pg.stop()


def wait_for_jetstream_cluster(url: str, admin: tuple[str, str] | None, timeout: float = 60.0) -> None:
    """Until the cluster has elected its JetStream meta leader, then every stream exists with its replicas
    (as the admin: each service may ensure only its own, and consumers wait for the streams they read)."""
    import threading

    from shared.bus import connect, ensure_streams

    failure: list[BaseException] = []

    async def run() -> None:
        login = f"{admin[0]}:{admin[1]}@" if admin else ""
        nc = await connect(",".join(u.replace("://", f"://{login}", 1) for u in url.split(",")), name="rdv-up")
        try:
            js = nc.jetstream(timeout=5)
            deadline = time.time() + timeout
            while True:
                try:
                    await js.account_info()
                    break
                except Exception:
                    if time.time() > deadline:
                        raise
                    await asyncio.sleep(0.25)
            await ensure_streams(js)
        finally:
            await nc.close()

    def thread() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 - reported below
            failure.append(exc)

    worker = threading.Thread(target=thread)
    worker.start()
    worker.join()
    if failure:
        raise RuntimeError(f"le cluster NATS n'est pas prêt : {failure[0]!r}")


def say(name: str, line: str) -> None:
    colour = COLOURS.get(name.split("-")[0], 0)
    prefix = f"\033[{colour}m{name:>14} |\033[0m " if sys.stdout.isatty() else f"{name:>14} | "
    print(prefix + line, flush=True)


async def up(*, replicas: dict[str, int] | None = None) -> int:
    env = dict(os.environ)
    env.setdefault("RDV_ENV", "dev")
    if env.get("RDV_NOW") and not env.get("RDV_NOW_ANCHOR"):
        env["RDV_NOW_ANCHOR"] = str(time.time())
    data_dir = Path(env.setdefault("RDV_DATA_DIR", "./.rdv")).resolve()
    env["RDV_DATA_DIR"] = str(data_dir)
    system = System(data_dir=data_dir, env=env, replicas=replicas or {})
    started = time.time()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        system.start_infrastructure()  # main thread: children die with the supervisor
        system.watch_servers()
        await asyncio.to_thread(system.migrate)
        system.plan()
        for child in system.children:
            await system.spawn(child)
        ready = asyncio.create_task(system.wait_ready())
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if stopped in done:
            ready.cancel()
            return 130
        ready.result()
        gateway_port = next(c.port for c in system.children if c.name == "gateway")
        base_url = f"http://{env.get('RDV_HOST', '127.0.0.1')}:{gateway_port}"
        seeded = await seed_if_needed(base_url, env)
        banner(base_url, env, seeded, time.time() - started)
        await stop.wait()
        say("rdv", "arrêt demandé, arrêt des services…")
        return 0
    finally:
        await system.stop_children()
        system.stop_infrastructure()
        say("rdv", "tout est arrêté.")


def banner(url: str, env: dict, seeded: bool, seconds: float) -> None:
    lines = [
        "",
        f"rdv est prêt en {seconds:.1f} s : {url}",
        f"  Documentation de l'API : {url}/docs",
    ]
    if env.get("RDV_SEED", "demo") != "none":
        lines.append("  Comptes de démonstration (organisation « Démo ») :")
        for role, (email, password) in DEMO_LOGINS.items():
            lines.append(f"    {role:<6} {email} / {password}")
    if env.get("RDV_ENV", "dev") != "production":
        lines.append(f"  Messages envoyés (boîte de dev) : {url}/dev/messages")
    lines.append("  Ctrl-C pour tout arrêter.")
    for line in lines:
        say("rdv", line)
