"""The delivery queue: send due messages, retry failures with exponential backoff, publish receipts.

A round claims up to `senders` due messages in one transaction (FOR UPDATE SKIP LOCKED) and
keeps them locked while they are handed to their providers, all at once, so two replicas never
send the same message; their new statuses (a message sent is in the dev inbox, a view) and the
`notifications.message.sent|failed` events commit together, written by one statement, as soon as
the last provider of the round has answered. A crash before that commit leaves the round's messages
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

from sqlalchemy import text

from services.notifications.adapters.senders import DeliveryRefused, Outgoing, Sender
from services.notifications.config import NotificationsSettings
from services.notifications.domain.phones import mask
from services.notifications.domain.rules import retry_delay_seconds
from shared import clock, metrics
from shared.db import Database, UnitOfWork
from shared.events import new_event
from shared.outbox import insert_outbox_sql, outbox_json

log = logging.getLogger("rdv.notifications.delivery")

EXPIRED = "le RDV a déjà commencé"

# The most overdue pending messages, locked (a replica skips those another one holds).
# With dev providers only, nothing leaves the system: the content (2-3 kB an email) stays in the rows.
_CLAIM_SQL = (
    "select id, organisation_id, rdv_id, usager_id, agent_id, channel, kind, recipient, attempts, next_attempt_at, "
    "rdv_starts_at{content} from messages "
    "where status = 'pending' and next_attempt_at <= :now order by next_attempt_at limit :n for update skip locked")
# replies go to the organisation's contact address, as it is when the message leaves
_CLAIM = text(_CLAIM_SQL.format(content=", subject, body, html, attachments, (select o.contact_email from organisations o "
                                        "where o.id = messages.organisation_id) as reply_to"))
_CLAIM_LOCAL = text(_CLAIM_SQL.format(content=""))

# Everything a round writes, in one statement: every outcome, given as one JSON array (a retry keeps
# `pending` and gets a later next_attempt_at; the ids let the planner read the primary key, the JSON
# recordset's row count being unknown to it), and the receipts' outbox rows (`shared.outbox.insert_outbox_sql`, in
# order); a message sent is in the dev inbox (a view of the messages). It answers when the next pending
# message that is not one of the round's falls due (the statement sees the round's messages as they were).
_RECORD = text("""
with outcome as (
  update messages as m set status = v.status, attempts = v.attempts, last_error = v.error,
    sent_at = v.sent_at, next_attempt_at = v.next_attempt_at
  from jsonb_to_recordset(cast(:rows as jsonb)) as v(id uuid, status text, attempts integer, error text,
    sent_at timestamptz, next_attempt_at timestamptz)
  where m.id = v.id and m.id = any(cast(:ids as uuid[]))
), receipts as (
  """ + insert_outbox_sql("events") + """
)
select min(next_attempt_at) from messages where status = 'pending' and id <> all(cast(:ids as uuid[]))
""")
# When no message was claimed: when is the next one due?
_NEXT_DUE = text("select min(next_attempt_at) from messages where status = 'pending'")


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
    async with db.uow() as uow:
        claimed = (await uow.execute(_CLAIM_LOCAL if local else _CLAIM, {"now": now, "n": limit})).mappings().all()
        if not claimed:
            next_due = (await uow.execute(_NEXT_DUE)).scalar()
            return Round(claimed=0, full=False, next_due=next_due)
        results = await asyncio.gather(*(_attempt(msg, senders=senders, settings=settings, now=now)
                                         for msg in claimed), return_exceptions=True)
        # Whatever happens to one message, the outcomes of the others are recorded.
        outcomes = [r if isinstance(r, Outcome) else _retry(msg, r, settings=settings, now=now)
                    for msg, r in zip(claimed, results)]
        next_due = await _record(uow, claimed, outcomes, now=now)
        await uow.commit()
    if db.on_commit:  # the receipts are in the outbox: wake the relay
        db.on_commit()
    full = len(claimed) == limit
    return Round(claimed=len(claimed), full=full, next_due=None if full else next_due)


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
    if msg["rdv_starts_at"] is not None and msg["rdv_starts_at"] <= now:  # null: not about an RDV
        metrics.notifications.labels(msg["channel"], msg["kind"], "skipped").inc()
        return Outcome("failed", attempt, EXPIRED)
    started = time.perf_counter()
    try:
        await senders[msg["channel"]].send(Outgoing(  # a local sender's message comes without its content
            channel=msg["channel"], to=msg["recipient"], subject=msg.get("subject"), body=msg.get("body", ""),
            html=msg.get("html"), attachments=msg.get("attachments", []), message_id=str(msg["id"]),
            reply_to=msg.get("reply_to")))
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


async def _record(uow: UnitOfWork, claimed, outcomes: list[Outcome], *, now: datetime) -> datetime | None:
    """Write the round's outcomes and receipts; return when the next pending message falls due."""
    rows, events, retries = [], [], []
    for msg, o in zip(claimed, outcomes):
        next_attempt_at = o.next_attempt_at or msg["next_attempt_at"]
        rows.append({"id": str(msg["id"]), "status": o.status, "attempts": o.attempt, "error": o.error,
                     "sent_at": now.isoformat() if o.status == "sent" else None,
                     "next_attempt_at": next_attempt_at.isoformat()})
        if o.status == "pending":
            retries.append(next_attempt_at)
        elif msg["rdv_id"] is not None:  # receipts are about RDVs (an admin's email about a webhook has none)
            events.append(_receipt(msg, o))
    others = (await uow.execute(_RECORD, {
        "rows": json.dumps(rows), "ids": [msg["id"] for msg in claimed], "events": outbox_json(events)})).scalar()
    return min([d for d in (others, *retries) if d is not None], default=None)


def _receipt(msg, outcome: Outcome):
    return new_event(f"notifications.message.{outcome.status}", organisation_id=msg["organisation_id"], data={
        "message": {"id": str(msg["id"]), "rdv_id": str(msg["rdv_id"]),
                    "usager_id": str(msg["usager_id"]) if msg["usager_id"] else None,
                    "agent_id": str(msg["agent_id"]) if msg["agent_id"] else None,
                    "channel": msg["channel"], "kind": msg["kind"],
                    "recipient_masked": mask(msg["channel"], msg["recipient"]), "attempt": outcome.attempt,
                    **({"error": outcome.error} if outcome.error else {})}})
