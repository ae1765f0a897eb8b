"""`rdv up`: the whole system on one machine, as child processes of one supervisor.

Embedded NATS and PostgreSQL start unless NATS_URL / <SERVICE>_DATABASE_URL are set (rdv.infrastructure);
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

import httpx

from rdv.demo import DemoOptions
from rdv.demo_data import DEMO_LOGINS
from rdv.embedded import _die_with_parent
from rdv.infrastructure import Infrastructure, say
from rdv.processes import ALL, database_urls, migrate_all
from rdv.seed import seed_if_needed
from shared import natsauth
from shared.settings import DEFAULT_PORTS, EmbeddedSettings, PlatformSettings, ProcessSettings

REPLICA_PORT_STEP = 10  # replica i of a service listens on the service's port + i * this


@dataclass
class Child:
    name: str
    port: int
    proc: asyncio.subprocess.Process | None = None
    restarts: int = 0
    pump: asyncio.Task | None = None


@dataclass
class Services:
    """The gateway and the services as child processes (`rdv service <name>`), restarted when one dies."""
    env: dict[str, str]
    replicas: dict[str, int] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)
    stopping: bool = False

    def plan(self) -> None:
        """One child per replica, ports `<NAME>_PORT` (+REPLICA_PORT_STEP per replica); `<NAME>_URL` lists them all."""
        urls: dict[str, list[str]] = {}
        for name in ALL:
            base = ProcessSettings.of(name).port or \
                (ProcessSettings.listening(name).port if name == "gateway" else 0) or DEFAULT_PORTS[name]
            count = 1 if name == "gateway" else self.replicas.get(name, 1)
            for i in range(count):
                port = base + REPLICA_PORT_STEP * i
                self.children.append(Child(name if count == 1 else f"{name}-{i + 1}", port))
                urls.setdefault(name, []).append(f"http://127.0.0.1:{port}")
        for name, list_ in urls.items():
            if name != "gateway":
                self.env[f"{name.upper()}_URL"] = ",".join(list_)

    @property
    def gateway(self) -> Child:
        return next(c for c in self.children if c.name == "gateway")

    def child_env(self, service: str, port: int) -> dict[str, str]:
        """The child's environment: the system's, its port, and its own NATS user (dev: generated passwords)."""
        env = dict(self.env)
        env[f"{service.upper()}_PORT"] = str(port)
        if service == "gateway":
            env["RDV_PORT"] = str(port)
        env["PYTHONUNBUFFERED"] = "1"
        if not env.get("NATS_USER") and env.get("RDV_NATS_USERS_FILE"):
            creds = natsauth.credentials_for(service, users_path=env["RDV_NATS_USERS_FILE"])
            if creds:
                env["NATS_USER"], env["NATS_PASSWORD"] = creds
        return env

    async def spawn(self, child: Child) -> None:
        service = child.name.split("-")[0]
        child.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rdv.cli", "service", service, "--port", str(child.port),
            env=self.child_env(service, child.port), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, preexec_fn=_die_with_parent)
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
        deadline = time.time() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.time() < deadline:
                try:
                    resp = await client.get(f"http://127.0.0.1:{self.gateway.port}/readyz")
                    if resp.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.25)
        raise RuntimeError("le système n'est pas prêt après le délai")

    async def stop(self) -> None:
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


def system_env() -> dict[str, str]:
    """The environment every child gets: this process's, with the dev defaults `rdv up` implies."""
    env = dict(os.environ)  # handed down to the children, not read here: settings read what rdv needs
    env.setdefault("RDV_ENV", "dev")
    if env.get("RDV_NOW") and not env.get("RDV_NOW_ANCHOR"):
        env["RDV_NOW_ANCHOR"] = str(time.time())
    env["RDV_DATA_DIR"] = str(PlatformSettings().data_dir.resolve())
    return env


async def up(*, replicas: dict[str, int] | None = None) -> int:
    env = system_env()
    platform, embedded = PlatformSettings(), EmbeddedSettings()
    infrastructure = Infrastructure(data_dir=platform.data_dir.resolve(), env=env, settings=embedded)
    services = Services(env=env, replicas=replicas or {})
    started = time.time()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        infrastructure.start(nats_given=bool("nats_url" in platform.model_fields_set and platform.nats_url),
                             database_urls=database_urls())
        infrastructure.watch()
        await asyncio.to_thread(migrate_all, infrastructure.database_urls)
        if not await _start_services(services, stop):
            return 130
        base_url = f"http://{ProcessSettings.listening('gateway').host}:{services.gateway.port}"
        seeded = await seed_if_needed(base_url, DemoOptions.from_settings())
        banner(base_url, platform, seeded=seeded, wanted=embedded.seed != "none", seconds=time.time() - started)
        await stop.wait()
        say("rdv", "arrêt demandé, arrêt des services…")
        return 0
    finally:
        await services.stop()
        infrastructure.stop()
        say("rdv", "tout est arrêté.")


async def _start_services(services: Services, stop: asyncio.Event) -> bool:
    """Spawn every child and wait until the gateway is ready; False when a stop came first."""
    services.plan()
    for child in services.children:
        await services.spawn(child)
    ready = asyncio.create_task(services.wait_ready())
    stopped = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if stopped in done:
        ready.cancel()
        return False
    ready.result()
    return True


def banner(url: str, platform: PlatformSettings, *, seeded: bool, wanted: bool, seconds: float) -> None:
    lines = [
        "",
        f"rdv est prêt en {seconds:.1f} s : {url}",
        f"  Documentation de l'API : {url}/docs",
    ]
    if wanted:
        lines.append("  Comptes de démonstration (organisation « Démo ») :")
        for role, (email, password) in DEMO_LOGINS.items():
            lines.append(f"    {role:<6} {email} / {password}")
    if not platform.production:
        lines.append(f"  Messages envoyés (boîte de dev) : {url}/dev/messages")
    lines.append("  Ctrl-C pour tout arrêter.")
    for line in lines:
        say("rdv", line)
