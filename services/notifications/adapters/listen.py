"""PostgreSQL LISTEN: wake a background loop when a transaction that queued work commits (NOTIFY)."""
from __future__ import annotations

import asyncio
import logging

import psycopg

from shared.settings import to_libpq_url

log = logging.getLogger("rdv.notifications.workers")


async def listen(url: str, wake: asyncio.Event, channel: str) -> None:
    """Set `wake` at each NOTIFY on `channel`, and once (re)connected; reconnect after a lost connection."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(to_libpq_url(url), autocommit=True) as conn:
                await conn.execute(f"listen {channel}")
                wake.set()  # catch up with anything queued while we were not listening
                async for _ in conn.notifies():
                    wake.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("listen %s: %r; reconnecting", channel, exc)
            await asyncio.sleep(1.0)
