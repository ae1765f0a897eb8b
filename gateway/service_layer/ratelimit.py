"""A sliding-window limit on some action per key (e.g. public bookings per IP and organisation)."""
from __future__ import annotations

from datetime import timedelta

from gateway.service_layer.unit_of_work import unit_of_work
from shared import clock
from shared.db import Database
from shared.errors import AppError


class TooManyRequests(AppError):
    status = 429
    code = "too_many_requests"
    message = "Trop de demandes depuis cette adresse. Réessayez plus tard."


async def hit(*, db: Database, bucket: str, limit: int, window: timedelta) -> None:
    """Count one action in `bucket`; 429 when `limit` were already counted within `window`."""
    now = clock.now()
    async with unit_of_work(db) as uow:
        await uow.throttle.lock_key(key=bucket)
        if await uow.throttle.count_rate_events(bucket=bucket, since=now - window) >= limit:
            raise TooManyRequests(details={"retry_after_seconds": int(window.total_seconds())})
        await uow.throttle.add_rate_event(bucket=bucket, now=now)
        await uow.commit()
