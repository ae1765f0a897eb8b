"""The embedded servers of `rdv up`: PostgreSQL and NATS (one server or a 3-node JetStream cluster),
started unless NATS_URL / <SERVICE>_DATABASE_URL are given, and restarted on their own data folder
when one dies."""
from __future__ import annotations

import asyncio
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdv.embedded import EmbeddedNats, EmbeddedPostgres, port_open
from rdv.processes import ALL, database_name
from shared import natsauth
from shared.bus import connect, ensure_streams
from shared.settings import EmbeddedSettings

COLOURS = {"gateway": 36, "availability": 32, "booking": 33, "usagers": 35, "notifications": 34,
           "reporting": 31, "nats": 90, "postgres": 90}


def say(name: str, line: str) -> None:
    colour = COLOURS.get(name.split("-")[0], 0)
    prefix = f"\033[{colour}m{name:>14} |\033[0m " if sys.stdout.isatty() else f"{name:>14} | "
    print(prefix + line, flush=True)


@dataclass
class Server:
    """An embedded server the supervisor started, and restarts on the same data folder if it dies."""
    name: str
    server: EmbeddedNats | EmbeddedPostgres
    restarts: int = 0
    watch: asyncio.Task | None = None


@dataclass
class Infrastructure:
    """What the services need before they start; `env` receives the URLs of what was started."""
    data_dir: Path
    env: dict[str, str]
    settings: EmbeddedSettings
    pg: EmbeddedPostgres | None = None
    nats_nodes: list[EmbeddedNats] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)
    database_urls: dict[str, str] = field(default_factory=dict)
    stopping: bool = False

    def start(self, *, nats_given: bool, database_urls: dict[str, str], fast_pg: bool = False) -> None:
        """Start what is not given (main thread: the children die with the supervisor)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not nats_given:
            self.start_nats()
        self.database_urls = dict(database_urls)
        missing = [s for s in ALL if s not in database_urls]
        if missing:
            self.start_postgres(missing, fast=fast_pg)

    def start_postgres(self, services: list[str], *, fast: bool) -> None:
        port = self.settings.pg_port
        if port_open(port):
            raise SystemExit(f"Le port {port} (PostgreSQL) est déjà utilisé: arrêtez l'autre instance "
                             "ou choisissez RDV_PG_PORT.")
        self.pg = EmbeddedPostgres(self.data_dir, port, fast=fast)
        self.pg.start()
        self.servers.append(Server("postgres", self.pg))
        for service in services:
            self.pg.create_database(database_name(service))
            url = self.pg.db_url(database_name(service))
            self.database_urls[service] = self.env[f"{service.upper()}_DATABASE_URL"] = url
        say("postgres", f"PostgreSQL prêt sur 127.0.0.1:{port}")

    def start_nats(self) -> None:
        """The embedded NATS: one server, or (RDV_NATS_CLUSTER=3) a JetStream cluster of 3 nodes on loopback
        (client ports RDV_NATS_PORT + 0, 1, 2; routes RDV_NATS_PORT + 100 + 0, 1, 2), streams replicated 3 times.
        Anonymous connections refused: one user per service, passwords generated once under the data folder
        (shared.natsauth)."""
        nodes, base = self.settings.nats_cluster, self.settings.nats_port
        if nodes not in (1, 3):
            raise SystemExit(f"RDV_NATS_CLUSTER={nodes} : 1 (un serveur) ou 3 (cluster JetStream)")
        ports = [base + i for i in range(nodes)]
        routes = [base + 100 + i for i in range(nodes)] if nodes > 1 else []
        for port in ports + routes:
            if port_open(port):
                raise SystemExit(f"Le port {port} (NATS) est déjà utilisé: arrêtez l'autre instance "
                                 "ou choisissez RDV_NATS_PORT.")
        auth = natsauth.write_server_config(self.data_dir)
        self.env["RDV_NATS_USERS_FILE"] = str(natsauth.users_file(self.data_dir))
        if nodes == 1:
            self._start_one_nats(base, auth)
        else:
            self._start_nats_cluster(ports, routes, auth)

    def _start_one_nats(self, port: int, auth: Path) -> None:
        node = EmbeddedNats(self.data_dir, port, auth_conf=auth)
        node.start()
        self.nats_nodes = [node]
        self.servers.append(Server("nats", node))
        self.env["NATS_URL"] = node.url
        say("nats", f"NATS JetStream prêt sur {node.url}")

    def _start_nats_cluster(self, ports: list[int], routes: list[int], auth: Path) -> None:
        self.nats_nodes = [EmbeddedNats(self.data_dir, port, auth_conf=auth, node=i + 1, cluster_ports=routes)
                           for i, port in enumerate(ports)]
        for node in self.nats_nodes:
            node.launch()
        for node in self.nats_nodes:
            self.servers.append(Server(f"nats-{node.node}", node))
        env = self.env
        env["NATS_URL"] = ",".join(node.url for node in self.nats_nodes)
        env.setdefault("RDV_STREAM_REPLICAS", str(len(ports)))
        admin = natsauth.credentials_for(natsauth.ADMIN, users_path=natsauth.users_file(self.data_dir))
        wait_for_jetstream_cluster(env["NATS_URL"], admin, replicas=int(env["RDV_STREAM_REPLICAS"]))
        say("nats", f"cluster JetStream de {len(ports)} nœuds prêt sur {env['NATS_URL']} "
                    f"(flux répliqués {env['RDV_STREAM_REPLICAS']} fois)")

    # ---------- healing ----------
    def watch(self) -> None:
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
            if await self._relaunch(server):
                say(server.name, f"de nouveau prêt en {time.time() - started:.1f} s "
                                 f"(redémarrage n°{server.restarts})")
                return
            if self.stopping:
                return
            say(server.name, f"n'a pas redémarré (code {server.server.proc.returncode}); "
                             f"nouvel essai dans {pause:.1f} s")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    async def _relaunch(self, server: Server) -> bool:
        """Launch the server again; True once it answers (within 30 s), else it is stopped for another try."""
        server.server.launch()
        deadline = time.time() + 30
        while time.time() < deadline and server.server.proc.poll() is None and not self.stopping:
            if await asyncio.to_thread(server.server.ready):
                return True
            await asyncio.sleep(0.1)
        if not self.stopping and server.server.proc.poll() is None:  # up but never ready: start over
            server.server.proc.kill()
            server.server.proc.wait()
        return False

    def stop(self) -> None:
        self.stopping = True
        for server in self.servers:
            if server.watch:
                server.watch.cancel()
        for node in self.nats_nodes:
            node.stop()
        if self.pg:
            self.pg.stop()


def wait_for_jetstream_cluster(url: str, admin: tuple[str, str] | None, *, replicas: int,
                              timeout: float = 60.0) -> None:
    """Until the cluster has elected its JetStream meta leader, then every stream exists with its replicas
    (as the admin: each service may ensure only its own, and consumers wait for the streams they read)."""
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
            await ensure_streams(js, replicas=replicas)
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
