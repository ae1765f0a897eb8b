"""The `rdv` command line: up, migrate, seed, service, check, asyncapi, retention, makemigration.

Each command imports what it needs when it runs: `rdv service` starts every process of the system and
should not load the supervisor, Alembic or the embedded servers' helpers on the way.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Callable

from rdv.processes import ALL, APPS, migrate_all
from shared.settings import SERVICE_NAMES, PlatformSettings, ProcessSettings


def parse_replicas(text: str | None) -> dict[str, int]:
    result: dict[str, int] = {}
    for part in filter(None, (text or "").split(",")):
        name, _, count = part.partition("=")
        if name not in SERVICE_NAMES or not count.isdigit() or not 1 <= int(count) <= 9:
            raise SystemExit(f"--replicas: « {part} » invalide (ex. booking=2,availability=2)")
        result[name] = int(count)
    return result


def run_service(name: str, port: int | None) -> None:
    import uvicorn

    from shared.logging import configure_logging

    configure_logging(name)
    if PlatformSettings().production and PlatformSettings().now:
        raise SystemExit("RDV_NOW est refusé en production")
    listening = ProcessSettings.listening(name)
    # Keep idle connections longer than the callers' pools do (httpx: 5 s), so a caller never
    # sends a request on a connection the server is closing at that moment (a ReadError, then 503).
    uvicorn.run(APPS[name], host=listening.host, port=listening.listen_port(name) if port is None else port,
                log_config=None, access_log=False, timeout_graceful_shutdown=5, timeout_keep_alive=65)


def check() -> int:
    """Check the installation: imports, binaries, settings."""
    import importlib

    from rdv.embedded import _pg_bin, nats_server_binary

    ok = True
    for name, target in APPS.items():
        module = target.split(":")[0]
        try:
            importlib.import_module(module)
            print(f"ok   {name} ({module})")
        except Exception as exc:
            ok = False
            print(f"FAIL {name}: {exc!r}")
    try:
        print(f"ok   nats-server: {nats_server_binary()}")
        print(f"ok   postgres: {_pg_bin() / 'postgres'}")
    except Exception as exc:
        ok = False
        print(f"FAIL {exc}")
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rdv", description="rdv — prise de rendez-vous")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="démarre tout le système (embarqué par défaut)")
    p_up.add_argument("--replicas", help="ex. booking=2,availability=2")
    sub.add_parser("migrate", help="migre la base de chaque service (URLs dans l'environnement)")
    sub.add_parser("seed", help="crée les données de démonstration (via la passerelle)")
    p_service = sub.add_parser("service", help="lance un seul service, comme dans un conteneur")
    p_service.add_argument("name", choices=ALL)
    p_service.add_argument("--port", type=int)
    sub.add_parser("check", help="vérifie l'installation")
    p_async = sub.add_parser("asyncapi", help="écrit le document AsyncAPI 3 des événements (docs/asyncapi.yaml)")
    p_async.add_argument("--output", help="chemin du fichier (défaut : docs/asyncapi.yaml)")
    p_async.add_argument("--check", action="store_true", help="échoue si le fichier n'est pas à jour")
    p_reporting = sub.add_parser("reporting", help="outils du service de statistiques")
    reporting_sub = p_reporting.add_subparsers(dest="reporting_cmd", required=True)
    reporting_sub.add_parser("rebuild", help="reconstruit les projections de reporting en rejouant les flux")
    p_retention = sub.add_parser("retention", help="conservation des données (RGPD)")
    retention_sub = p_retention.add_subparsers(dest="retention_cmd", required=True)
    p_retention_run = retention_sub.add_parser(
        "run", help="supprime les RDV finis depuis 2 ans, anonymise les usagers sans RDV depuis 2 ans")
    p_retention_run.add_argument("--as-of", help="instant de référence au lieu de maintenant (refusé en production)")
    p_rev = sub.add_parser("makemigration", help="génère une migration Alembic pour un service")
    p_rev.add_argument("service", choices=ALL)
    p_rev.add_argument("-m", "--message", required=True)
    return parser


def _up(args: argparse.Namespace) -> int:
    from rdv.supervisor import up

    return asyncio.run(up(replicas=parse_replicas(args.replicas)))


def _migrate(_: argparse.Namespace) -> int:
    migrate_all()
    return 0


def _seed(_: argparse.Namespace) -> int:
    from rdv.demo import DemoOptions
    from rdv.seed import seed_if_needed

    gateway = ProcessSettings.listening("gateway")
    url = f"http://{gateway.host}:{gateway.listen_port('gateway')}"
    return 0 if asyncio.run(seed_if_needed(url, DemoOptions.from_settings())) else 1


def _service(args: argparse.Namespace) -> int:
    run_service(args.name, args.port)
    return 0


def _asyncapi(args: argparse.Namespace) -> int:
    from pathlib import Path

    from shared import asyncapi

    path = Path(args.output) if args.output else asyncapi.DEFAULT_PATH
    if not args.check:
        print(f"écrit {asyncapi.write(path)}")
        return 0
    if asyncapi.is_current(path):
        print(f"{path} est à jour")
        return 0
    print(f"{path} n'est pas à jour : lancez `rdv asyncapi`", file=sys.stderr)
    return 1


def _reporting(args: argparse.Namespace) -> int:
    from services.reporting.entrypoints.rebuild import main as rebuild_main

    return rebuild_main() if args.reporting_cmd == "rebuild" else 2


def _retention(args: argparse.Namespace) -> int:
    from rdv.retention import main as retention_main

    return retention_main(args.as_of) if args.retention_cmd == "run" else 2


def _makemigration(args: argparse.Namespace) -> int:
    from shared.migrations import revision

    url = ProcessSettings.of(args.service).database_url
    if not url:
        raise SystemExit(f"{args.service.upper()}_DATABASE_URL manquant")
    revision(args.service, url, args.message)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "up": _up, "migrate": _migrate, "seed": _seed, "service": _service, "check": lambda _: check(),
    "asyncapi": _asyncapi, "reporting": _reporting, "retention": _retention, "makemigration": _makemigration,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
