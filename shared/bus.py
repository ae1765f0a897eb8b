"""NATS connection and JetStream stream provisioning."""
from __future__ import annotations

import logging
import os

import nats
from nats.js.api import RetentionPolicy, StorageType, StreamConfig

from shared.events import STREAMS

log = logging.getLogger("rdv.bus")

DUPLICATE_WINDOW_SECONDS = 15 * 60


async def connect(url: str, *, name: str = "rdv"):
    """Connect and keep reconnecting forever: a broker outage only delays delivery."""

    async def _disconnected():
        log.warning("%s: NATS disconnected", name)

    async def _reconnected():
        log.info("%s: NATS reconnected", name)

    async def _error(exc):
        log.debug("%s: NATS error %r", name, exc)

    return await nats.connect(
        url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
        connect_timeout=2, allow_reconnect=True, disconnected_cb=_disconnected,
        reconnected_cb=_reconnected, error_cb=_error, pending_size=64 * 1024 * 1024,
    )


async def ensure_streams(js, *, replicas: int | None = None) -> None:
    """Create (or update) every stream of the catalogue. Streams keep their history."""
    replicas = replicas or int(os.environ.get("RDV_STREAM_REPLICAS", "1"))
    for stream, subject in STREAMS.items():
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
