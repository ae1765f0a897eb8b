"""The delivery queue: send due messages, retry failures with exponential backoff, publish receipts.

A round claims up to `senders` due messages in one transaction (FOR UPDATE SKIP LOCKED) and
keeps them locked while they are handed to their providers, all at once, so two replicas never
send the same message; their new statuses, the dev-inbox copies and the
`notifications.message.sent|failed` events commit together, with bulk statements, as soon as the
last provider of the round has answered. A crash before that commit leaves the round's messages
pending (they are sent again: the SMS provider gets the message id as Idempotency-Key), so a
round is kept as short as one provider call. When no message leaves the system (dev providers
only: the dev inbox is the delivery) a round takes up to `batch` messages.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text

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

# Every outcome of a round in one statement, given as one JSON array (a retry keeps `pending` and gets a
# later next_attempt_at).
_RECORD = text(
    "update messages as m set status = v.status, attempts = v.attempts, last_error = v.error, "
    "sent_at = v.sent_at, next_attempt_at = v.next_attempt_at "
    "from jsonb_to_recordset(cast(:rows as jsonb)) as v(id uuid, status text, attempts integer, error text, "
    "sent_at timestamptz, next_attempt_at timestamptz) "
    "where m.id = v.id and m.id = any(cast(:ids as uuid[]))")  # ids: the planner then reads the primary key

# The dev inbox's copies of the messages just sent, made from their rows (attachments: file names).
_DEV_COPY = text(
    'insert into dev_messages (id, message_id, organisation_id, channel, "to", subject, body, attachments, '
    "rdv_id, kind, created_at) "
    "select gen_random_uuid(), m.id, m.organisation_id, m.channel, m.recipient, m.subject, m.body, "
    "(select coalesce(jsonb_agg(a -> 'filename' order by n), '[]'::jsonb) "
    " from jsonb_array_elements(m.attachments) with ordinality as x(a, n)), m.rdv_id, m.kind, "
    "cast(:now as timestamptz) from messages as m where m.id = any(cast(:ids as uuid[]))")


@dataclass
class Outcome:
    status: str  # sent | failed | pending (retried later)
    attempt: int
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass
class Round:
    claimed: int
    full: bool  # as many as could be claimed: more may be due at once
    next_due: datetime | None  # when the next pending message falls due (None: unknown or none)


async def deliver_round(db: Database, *, senders: dict[str, Sender], settings: NotificationsSettings) -> Round:
    """Send the most overdue pending messages and record every outcome in one commit."""
    now = clock.now()
    local = all(getattr(sender, "local", False) for sender in senders.values())
    limit = max(settings.batch if local else settings.senders, 1)
    m = t.messages
    async with db.uow() as uow:
        claimed = (await uow.execute(
            select(m).where(m.c.status == "pending", m.c.next_attempt_at <= now)
            .order_by(m.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True))).mappings().all()
        if claimed:
            results = await asyncio.gather(*(_attempt(msg, senders=senders, settings=settings, now=now)
                                             for msg in claimed), return_exceptions=True)
            # Whatever happens to one message, the outcomes of the others are recorded.
            outcomes = [r if isinstance(r, Outcome) else _retry(msg, r, settings=settings, now=now)
                        for msg, r in zip(claimed, results)]
            await _record(uow, claimed, outcomes, now=now, dev_inbox=settings.dev_inbox)
        full = len(claimed) == limit
        next_due = None
        if not full:  # nothing else due now: when is the next retry?
            next_due = (await uow.execute(select(func.min(m.c.next_attempt_at))
                                          .where(m.c.status == "pending"))).scalar()
        if claimed:
            await uow.commit()
        return Round(claimed=len(claimed), full=full, next_due=next_due)


async def deliver_due(db: Database, *, senders: dict[str, Sender], settings: NotificationsSettings) -> Round:
    """Deliver rounds until none is full (everything due now is sent or held by another replica)."""
    claimed = 0
    while True:
        result = await deliver_round(db, senders=senders, settings=settings)
        claimed += result.claimed
        if not result.full:
            return Round(claimed=claimed, full=False, next_due=result.next_due)


async def _attempt(msg, *, senders: dict[str, Sender], settings: NotificationsSettings, now: datetime) -> Outcome:
    """Hand one message to its provider (unless its RDV has started); never raises."""
    attempt = msg["attempts"] + 1
    if msg["rdv_starts_at"] <= now:
        metrics.notifications.labels(msg["channel"], msg["kind"], "skipped").inc()
        return Outcome("failed", attempt, EXPIRED)
    started = time.perf_counter()
    try:
        await senders[msg["channel"]].send(Outgoing(
            channel=msg["channel"], to=msg["recipient"], subject=msg["subject"], body=msg["body"],
            html=msg["html"], attachments=msg["attachments"], message_id=str(msg["id"])))
    except Exception as exc:  # any provider error is retried, never lost
        metrics.notifications.labels(msg["channel"], msg["kind"], "failed").inc()
        log.warning("message %s (%s) attempt %d failed: %s", msg["id"], msg["channel"], attempt, exc)
        return _retry(msg, exc, settings=settings, now=now)
    metrics.notification_send_seconds.labels(msg["channel"]).observe(time.perf_counter() - started)
    metrics.notifications.labels(msg["channel"], msg["kind"], "sent").inc()
    return Outcome("sent", attempt)


def _retry(msg, exc: BaseException, *, settings: NotificationsSettings, now: datetime) -> Outcome:
    """A failed attempt: tried again later with backoff, or failed for good (refused, or out of attempts)."""
    attempt = msg["attempts"] + 1
    error = str(exc).replace("\x00", "")[:500]  # a provider's answer is stored as text
    if attempt >= settings.max_attempts or isinstance(exc, DeliveryRefused):
        return Outcome("failed", attempt, error)
    delay = retry_delay_seconds(attempt, base=settings.retry_base_seconds, cap=settings.retry_max_seconds)
    return Outcome("pending", attempt, error, now + timedelta(seconds=delay))


async def _record(uow: UnitOfWork, claimed, outcomes: list[Outcome], *, now: datetime, dev_inbox: bool) -> None:
    await uow.execute(_RECORD, {"rows": json.dumps([
        {"id": str(msg["id"]), "status": o.status, "attempts": o.attempt, "error": o.error,
         "sent_at": now.isoformat() if o.status == "sent" else None,
         "next_attempt_at": (o.next_attempt_at or msg["next_attempt_at"]).isoformat()}
        for msg, o in zip(claimed, outcomes)]), "ids": [msg["id"] for msg in claimed]})
    for msg, outcome in zip(claimed, outcomes):
        if outcome.status != "pending":
            uow.publish(_receipt(msg, outcome))
    sent = [msg["id"] for msg, o in zip(claimed, outcomes) if o.status == "sent"]
    if dev_inbox and sent:
        await uow.execute(_DEV_COPY, {"ids": sent, "now": now})


def _receipt(msg, outcome: Outcome):
    return new_event(f"notifications.message.{outcome.status}", organisation_id=msg["organisation_id"], data={
        "message": {"id": str(msg["id"]), "rdv_id": str(msg["rdv_id"]),
                    "usager_id": str(msg["usager_id"]) if msg["usager_id"] else None,
                    "agent_id": str(msg["agent_id"]) if msg["agent_id"] else None,
                    "channel": msg["channel"], "kind": msg["kind"],
                    "recipient_masked": mask(msg["channel"], msg["recipient"]), "attempt": outcome.attempt,
                    **({"error": outcome.error} if outcome.error else {})}})
