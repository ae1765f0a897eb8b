"""Who may do what on the bus: one NATS user per process kind, each allowed its own subjects only.

- each service (and the gateway) publishes its own stream's subjects, ensures its own stream, creates,
  reads and acknowledges its own durable consumers on the streams it consumes, and dead-letters its own
  consumers' failures;
- `reader`, for consumers outside the project: reads the pseudonymised RDV events (`reporting.rdv.>`)
  through durable consumers of its own, publishes nothing (docs/consumers.md);
- `admin`: everything (operations, the migration job, tests); never used by a service.

Anonymous connections are refused: the server's `authorization` block lists these users only. Each user's
request inboxes are private (`_INBOX_<user>.>`): a user cannot read the replies (JetStream deliveries
included) meant for another one.

Dev (`rdv up`): passwords are generated once into `<RDV_DATA_DIR>/secrets/nats-users.json` (0600), the server's
configuration beside it (0600); production: each process reads `NATS_USER` / `NATS_PASSWORD` from its secret, and
the NATS server's configuration (`server_config(..., from_env=True)`) names environment variables
(`$NATS_PASSWORD_<USER>`) filled from the same secrets.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from shared.events import STREAMS
from shared.settings import PlatformSettings

# The stream each process publishes to.
OWN_STREAM = {"gateway": "DIRECTORY", "availability": "AVAILABILITY", "booking": "BOOKING", "usagers": "USAGERS",
              "notifications": "NOTIFICATIONS", "reporting": "REPORTING"}
# The durable consumers each process reads with: (stream, consumer). tests/unit checks it against the code.
CONSUMERS: dict[str, list[tuple[str, str]]] = {
    "gateway": [],
    "availability": [("BOOKING", "availability-busy")],
    "booking": [("AVAILABILITY", "booking-catalog")],
    "usagers": [("BOOKING", "usagers-rdv"), ("AVAILABILITY", "usagers-catalog")],
    "notifications": [("DIRECTORY", "notifications-directory"), ("AVAILABILITY", "notifications-catalog"),
                      ("USAGERS", "notifications-usagers"), ("BOOKING", "notifications-rdv")],
    "reporting": [("BOOKING", "reporting-facts"), ("NOTIFICATIONS", "reporting-notifications"),
                  ("AVAILABILITY", "reporting-catalog"), ("DIRECTORY", "reporting-directory"),
                  ("USAGERS", "reporting-usagers"), ("BOOKING", "reporting-public")],
}
# Plain (core NATS) subscriptions: the gateway's live agenda listens to RDV events.
CORE_SUBSCRIPTIONS = {"gateway": ["booking.rdv.>"]}
# What outside consumers may read: the pseudonymised RDV events, in the REPORTING stream.
READER = "reader"
READER_STREAM = "REPORTING"
READER_SUBJECTS = ["reporting.rdv.>"]
ADMIN = "admin"
USERS = (ADMIN, *OWN_STREAM, READER)
DEADLETTER = "DEADLETTER"


def inbox_prefix(user: str) -> str:
    return f"_INBOX_{user}"


def _consumer_api(stream: str, consumer: str) -> list[str]:
    return [f"$JS.API.CONSUMER.CREATE.{stream}.{consumer}", f"$JS.API.CONSUMER.CREATE.{stream}.{consumer}.>",
            f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{consumer}", f"$JS.API.CONSUMER.INFO.{stream}.{consumer}",
            f"$JS.API.CONSUMER.DELETE.{stream}.{consumer}", f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}",
            f"$JS.ACK.{stream}.{consumer}.>", f"$JS.ACK.*.*.{stream}.{consumer}.>",
            f"$JS.API.STREAM.INFO.{stream}", f"$JS.API.STREAM.MSG.GET.{stream}",
            f"$JS.API.DIRECT.GET.{stream}", f"$JS.API.DIRECT.GET.{stream}.>",
            f"deadletter.{consumer}"]


def permissions(user: str) -> dict | None:
    """The user's `permissions` block (None: everything, for `admin`)."""
    if user == ADMIN:
        return None
    if user == READER:
        stream = READER_STREAM
        publish = ["$JS.API.INFO", f"$JS.API.STREAM.INFO.{stream}",
                   *(f"$JS.API.CONSUMER.CREATE.{stream}.*.{subject}" for subject in READER_SUBJECTS),
                   f"$JS.API.CONSUMER.INFO.{stream}.*", f"$JS.API.CONSUMER.DELETE.{stream}.*",
                   f"$JS.API.CONSUMER.MSG.NEXT.{stream}.*", f"$JS.API.CONSUMER.NAMES.{stream}",
                   f"$JS.API.CONSUMER.LIST.{stream}", f"$JS.ACK.{stream}.*.>", f"$JS.ACK.*.*.{stream}.*.>"]
        return {"publish": {"allow": publish},
                "subscribe": {"allow": [f"{inbox_prefix(user)}.>", *READER_SUBJECTS]}}
    own = OWN_STREAM[user]
    publish = [STREAMS[own], "$JS.API.INFO",
               f"$JS.API.STREAM.INFO.{own}", f"$JS.API.STREAM.CREATE.{own}", f"$JS.API.STREAM.UPDATE.{own}",
               f"$JS.API.STREAM.INFO.{DEADLETTER}", f"$JS.API.STREAM.CREATE.{DEADLETTER}"]
    for stream, consumer in CONSUMERS[user]:
        publish += [p for p in _consumer_api(stream, consumer) if p not in publish]
    subscribe = [f"{inbox_prefix(user)}.>", *CORE_SUBSCRIPTIONS.get(user, [])]
    return {"publish": {"allow": publish}, "subscribe": {"allow": subscribe}}


def password_variable(user: str) -> str:
    """The environment variable the NATS server reads a user's password from (production)."""
    return f"NATS_PASSWORD_{user.upper()}"


def server_config(passwords: dict[str, str] | None = None, *, from_env: bool = False) -> str:
    """The `authorization` block of nats-server's configuration, with the passwords, or (production)
    references to environment variables the server is started with."""
    lines = ["authorization {", "  users = ["]
    for user in USERS:
        secret = f"${password_variable(user)}" if from_env else json.dumps(passwords[user])
        entry = f"    {{user: {json.dumps(user)}, password: {secret}"
        perms = permissions(user)
        if perms is not None:
            entry += f", permissions: {json.dumps(perms)}"
        lines.append(entry + "}")
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


DEPLOY_HEADER = ("# Generated by shared/natsauth.py (server_config(from_env=True)); tests/deploy checks it is current.\n"
                 "# The server reads each password from its environment (NATS_PASSWORD_<USER>), filled from secrets.\n")


def deploy_config() -> str:
    """deploy/nats/auth.conf (compose mounts it, the Kubernetes ConfigMap nats-config holds a copy; both
    written by `sync_deploy`)."""
    return DEPLOY_HEADER + server_config(from_env=True)


def sync_deploy(root: Path | str = Path(__file__).resolve().parent.parent) -> None:
    """Write deploy/nats/auth.conf and its copy in the Kubernetes ConfigMap nats-config after a change of
    users or permissions: `python -c "from shared import natsauth; natsauth.sync_deploy()"`."""
    root = Path(root)
    text = deploy_config()
    (root / "deploy" / "nats" / "auth.conf").write_text(text)
    manifest = root / "deploy" / "k8s" / "base" / "nats.yaml"
    head, rest = manifest.read_text().split("  auth.conf: |\n", 1)
    tail = rest[rest.index("\n---\n") + 1:]
    block = "".join(f"    {line}\n" if line else "\n" for line in text.rstrip("\n").split("\n"))
    manifest.write_text(head + "  auth.conf: |\n" + block + tail)


def users_file(data_dir: Path | str) -> Path:
    return Path(data_dir) / "secrets" / "nats-users.json"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def dev_passwords(data_dir: Path | str) -> dict[str, str]:
    """The users' passwords, generated on first run under the data folder (0600), then kept."""
    path = users_file(data_dir)
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [u for u in USERS if not known.get(u)]
    if missing:
        known.update({u: secrets.token_urlsafe(24) for u in missing})
        _write_private(path, json.dumps(known, indent=2) + "\n")
    return known


def write_server_config(data_dir: Path | str) -> Path:
    """nats-server's authorization file for the embedded server(s), from the dev passwords (0600)."""
    path = Path(data_dir) / "secrets" / "nats-auth.conf"
    _write_private(path, server_config(dev_passwords(data_dir)))
    return path


def credentials_for(user: str, *, users_path: Path | None = None,
                    settings: PlatformSettings | None = None) -> tuple[str, str] | None:
    """(user, password) of `user` from the dev users file (`users_path`, else RDV_NATS_USERS_FILE, else the
    data folder's); None in production (secrets there) or when there is no such file."""
    settings = settings or PlatformSettings()  # read afresh: cold path, and tests change the environment
    if settings.production or not user:
        return None
    path = Path(users_path or settings.nats_users_file or users_file(settings.data_dir))
    try:
        password = json.loads(path.read_text()).get(user)
    except (OSError, ValueError):
        return None
    return (user, password) if password else None
