"""NATS connection and JetStream stream provisioning."""
from __future__ import annotations

import logging
import ssl
from urllib.parse import unquote, urlsplit, urlunsplit

import nats
from nats.js.api import RetentionPolicy, StorageType, StreamConfig

from shared import natsauth
from shared.events import STREAMS
from shared.settings import PlatformSettings

log = logging.getLogger("rdv.bus")

DUPLICATE_WINDOW_SECONDS = 15 * 60


def connection_options(url: str, *, user: str | None = None) -> dict:
    """nats-py options for `url`: one server or a comma-separated list of cluster nodes; the credentials
    from the URL (`nats://user:password@host:port`), else NATS_USER / NATS_PASSWORD, else (dev, test) the
    data folder's generated users file for `user`; a private inbox prefix for that user; TLS with
    NATS_TLS_CA (a `tls://` URL, or any URL when the CA is set)."""
    servers, url_user, url_password = [], None, None
    for raw in filter(None, (part.strip() for part in url.split(","))):
        parts = urlsplit(raw if "://" in raw else f"nats://{raw}")
        if parts.username and url_user is None:
            url_user, url_password = unquote(parts.username), unquote(parts.password or "")
        host = parts.hostname or "127.0.0.1"
        netloc = f"[{host}]" if ":" in host else host
        servers.append(urlunsplit((parts.scheme, f"{netloc}:{parts.port or 4222}", "", "", "")))
    options: dict = {"servers": servers}
    settings = PlatformSettings()  # read afresh: cold path, and tests change the environment
    if url_user:
        login, password = url_user, url_password
    elif settings.nats_login():
        login, password = settings.nats_login()
    else:
        login, password = natsauth.credentials_for(user or settings.nats_user or "", settings=settings) \
            or (None, None)
    if login:
        options.update(user=login, password=password, inbox_prefix=natsauth.inbox_prefix(login))
    if settings.nats_tls_ca:
        options["tls"] = ssl.create_default_context(cafile=settings.nats_tls_ca)
        options["tls_hostname"] = settings.nats_tls_hostname or None
    return options


async def connect(url: str, *, name: str = "rdv", user: str | None = None):
    """Connect and keep reconnecting forever: a broker outage only delays delivery.
    `user`: whose dev credentials to use when neither the URL nor NATS_USER/NATS_PASSWORD give any."""

    async def _disconnected():
        log.warning("%s: NATS disconnected", name)

    async def _reconnected():
        log.info("%s: NATS reconnected", name)

    async def _error(exc):
        log.debug("%s: NATS error %r", name, exc)

    options = connection_options(url, user=user)
    if not options.get("tls_hostname"):
        options.pop("tls_hostname", None)
    return await nats.connect(
        name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
        connect_timeout=2, allow_reconnect=True, disconnected_cb=_disconnected,
        reconnected_cb=_reconnected, error_cb=_error, pending_size=64 * 1024 * 1024, **options,
    )


async def ensure_streams(js, *, replicas: int | None = None, streams=None) -> None:
    """Create (or update) the streams named (default: every stream of the catalogue). Streams keep their
    history. A service ensures only its own stream and the dead letters' (natsauth allows no more)."""
    replicas = replicas or PlatformSettings().stream_replicas
    for stream, subject in STREAMS.items():
        if streams is not None and stream not in streams:
            continue
        cfg = StreamConfig(name=stream, subjects=[subject], storage=StorageType.FILE,
                           retention=RetentionPolicy.LIMITS, duplicate_window=DUPLICATE_WINDOW_SECONDS,
                           num_replicas=replicas)
        try:
            await js.add_stream(cfg)
        except Exception:
            try:
                await js.update_stream(cfg)
            except Exception as exc:
                log.warning("stream %s: %s", stream, exc)
