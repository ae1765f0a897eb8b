"""The `rdv` command line: up, migrate, seed, service, check, asyncapi, retention, makemigration."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys

from rdv.processes import ALL, APPS, migrate_all
from shared.settings import SERVICE_NAMES


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
    from shared.settings import DEFAULT_PORTS

    configure_logging(name)
    if os.environ.get("RDV_ENV") == "production" and os.environ.get("RDV_NOW"):
        raise SystemExit("RDV_NOW est refusé en production")
    if port is None:
        port = int(os.environ.get("RDV_PORT" if name == "gateway" else f"{name.upper()}_PORT")
                   or DEFAULT_PORTS[name])
    host = os.environ.get("RDV_HOST", "127.0.0.1") if name == "gateway" else \
        os.environ.get(f"{name.upper()}_HOST", "127.0.0.1")
    # Keep idle connections longer than the callers' pools do (httpx: 5 s), so a caller never
    # sends a request on a connection the server is closing at that moment (a ReadError, then 503).
    uvicorn.run(APPS[name], host=host, port=port, log_config=None, access_log=False,
                timeout_graceful_shutdown=5, timeout_keep_alive=65)


def check() -> int:
    """Check the installation: imports, binaries, settings."""
    import importlib

    ok = True
    for name, target in APPS.items():
        module = target.split(":")[0]
        try:
            importlib.import_module(module)
            print(f"ok   {name} ({module})")
        except Exception as exc:
            ok = False
            print(f"FAIL {name}: {exc!r}")
    from rdv.embedded import _pg_bin, nats_server_binary

    try:
        print(f"ok   nats-server: {nats_server_binary()}")
        print(f"ok   postgres: {_pg_bin() / 'postgres'}")
    except Exception as exc:
        ok = False
        print(f"FAIL {exc}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
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
    args = parser.parse_args(argv)

    if args.cmd == "up":
        from rdv.supervisor import up

        return asyncio.run(up(replicas=parse_replicas(args.replicas)))
    if args.cmd == "migrate":
        migrate_all()
        return 0
    if args.cmd == "seed":
        from rdv.seed import seed_if_needed

        url = f"http://{os.environ.get('RDV_HOST', '127.0.0.1')}:{os.environ.get('RDV_PORT', '8000')}"
        return 0 if asyncio.run(seed_if_needed(url, dict(os.environ))) else 1
    if args.cmd == "service":
        run_service(args.name, args.port)
        return 0
    if args.cmd == "check":
        return check()
    if args.cmd == "asyncapi":
        from pathlib import Path

        from shared import asyncapi

        path = Path(args.output) if args.output else asyncapi.DEFAULT_PATH
        if args.check:
            if asyncapi.is_current(path):
                print(f"{path} est à jour")
                return 0
            print(f"{path} n'est pas à jour : lancez `rdv asyncapi`", file=sys.stderr)
            return 1
        print(f"écrit {asyncapi.write(path)}")
        return 0
    if args.cmd == "reporting" and args.reporting_cmd == "rebuild":
        from services.reporting.entrypoints.rebuild import main as rebuild_main

        return rebuild_main()
    if args.cmd == "retention" and args.retention_cmd == "run":
        from rdv.retention import main as retention_main

        return retention_main(args.as_of)
    if args.cmd == "makemigration":
        from shared.migrations import revision

        url = os.environ.get(f"{args.service.upper()}_DATABASE_URL")
        if not url:
            raise SystemExit(f"{args.service.upper()}_DATABASE_URL manquant")
        revision(args.service, url, args.message)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
