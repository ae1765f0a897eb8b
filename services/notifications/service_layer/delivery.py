"""The delivery queue: send due messages, retry failures with exponential backoff, publish receipts.

A message row stays locked (FOR UPDATE SKIP LOCKED) while it is handed to its provider, so
two replicas never send the same message; its new status, the dev-inbox copy and the
`notifications.message.sent|failed` event commit together.
"""
from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update

from services.notifications.adapters import tables as t
from services.notifications.adapters.senders import DeliveryRefused, Outgoing, Sender
from services.notifications.config import NotificationsSettings
from services.notifications.domain.phones import mask
from services.notifications.domain.rules import retry_delay_seconds
from shared import clock, metrics
from shared.db import Database, UnitOfWork
from shared.events import new_event

log = logging.getLogger("rdv.notifications.delivery")

EXPIRED = "le RDV a déjà commencé"


async def deliver_one(db: Database, *, senders: dict[str, Sender], settings: NotificationsSettings) -> bool:
    """Send the most overdue pending message; False when none is due."""
    now = clock.now()
    async with db.uow() as uow:
        msg = (await uow.execute(
            select(t.messages).where(t.messages.c.status == "pending", t.messages.c.next_attempt_at <= now)
            .order_by(t.messages.c.next_attempt_at).limit(1).with_for_update(skip_locked=True))).mappings().first()
        if msg is None:
            return False
        attempt = msg["attempts"] + 1
        if msg["rdv_starts_at"] <= now:
            await _finish(uow, msg, status="failed", attempt=attempt, error=EXPIRED, now=now)
            metrics.notifications.labels(msg["channel"], msg["kind"], "skipped").inc()
        else:
            started = time.perf_counter()
            try:
                await senders[msg["channel"]].send(Outgoing(
                    channel=msg["channel"], to=msg["recipient"], subject=msg["subject"], body=msg["body"],
                    html=msg["html"], attachments=msg["attachments"], message_id=str(msg["id"])))
            except Exception as exc:  # any provider error is retried, never lost
                metrics.notifications.labels(msg["channel"], msg["kind"], "failed").inc()
                log.warning("message %s (%s) attempt %d failed: %s", msg["id"], msg["channel"], attempt, exc)
                if attempt >= settings.max_attempts or isinstance(exc, DeliveryRefused):
                    await _finish(uow, msg, status="failed", attempt=attempt, error=str(exc)[:500], now=now)
                else:
                    delay = retry_delay_seconds(attempt, base=settings.retry_base_seconds,
                                                cap=settings.retry_max_seconds)
                    await uow.execute(update(t.messages).where(t.messages.c.id == msg["id"]).values(
                        attempts=attempt, last_error=str(exc)[:500],
                        next_attempt_at=now + timedelta(seconds=delay)))
            else:
                metrics.notification_send_seconds.labels(msg["channel"]).observe(time.perf_counter() - started)
                metrics.notifications.labels(msg["channel"], msg["kind"], "sent").inc()
                await _finish(uow, msg, status="sent", attempt=attempt, error=None, now=now)
                if settings.dev_inbox:
                    await _copy_to_dev_inbox(uow, msg, now=now)
        await uow.commit()
        return True


async def deliver_due(db: Database, *, senders: dict[str, Sender], settings: NotificationsSettings) -> int:
    sent = 0
    while sent < settings.batch and await deliver_one(db, senders=senders, settings=settings):
        sent += 1
    return sent


async def next_due_at(db: Database) -> datetime | None:
    async with db.engine.connect() as conn:
        return (await conn.execute(select(func.min(t.messages.c.next_attempt_at))
                                   .where(t.messages.c.status == "pending"))).scalar()


async def _finish(uow: UnitOfWork, msg, *, status: str, attempt: int, error: str | None, now: datetime) -> None:
    await uow.execute(update(t.messages).where(t.messages.c.id == msg["id"]).values(
        status=status, attempts=attempt, last_error=error, sent_at=now if status == "sent" else None))
    uow.publish(new_event(f"notifications.message.{status}", organisation_id=msg["organisation_id"], data={
        "message": {"id": str(msg["id"]), "rdv_id": str(msg["rdv_id"]),
                    "usager_id": str(msg["usager_id"]) if msg["usager_id"] else None,
                    "agent_id": str(msg["agent_id"]) if msg["agent_id"] else None,
                    "channel": msg["channel"], "kind": msg["kind"],
                    "recipient_masked": mask(msg["channel"], msg["recipient"]), "attempt": attempt,
                    **({"error": error} if error else {})}}))


async def _copy_to_dev_inbox(uow: UnitOfWork, msg, *, now: datetime) -> None:
    await uow.execute(insert(t.dev_messages).values(
        id=uuid.uuid4(), message_id=msg["id"], organisation_id=msg["organisation_id"], channel=msg["channel"],
        to=msg["recipient"], subject=msg["subject"], body=msg["body"],
        attachments=[a["filename"] for a in msg["attachments"]], rdv_id=msg["rdv_id"], kind=msg["kind"],
        created_at=now))
