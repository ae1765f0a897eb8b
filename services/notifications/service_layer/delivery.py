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
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notifications.config import NotificationsSettings
from services.notifications.domain.phones import mask
from services.notifications.domain.rules import retry_delay_seconds
from services.notifications.domain.sending import DeliveryRefused, Outgoing, Sender
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared import clock, events, metrics
from shared.events import new_event

log = logging.getLogger("rdv.notifications.delivery")

EXPIRED = "le RDV a déjà commencé"


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


async def deliver_round(uow: NotificationsUnitOfWork, *, senders: dict[str, Sender],
                        settings: NotificationsSettings) -> Round:
    """Send the most overdue pending messages and record every outcome in one commit."""
    now = clock.now()
    local = all(getattr(sender, "local", False) for sender in senders.values())
    limit = max(settings.batch if local else settings.senders, 1)
    async with uow:
        claimed = await uow.deliveries.claim(now=now, limit=limit, with_content=not local)
        if not claimed:
            return Round(claimed=0, full=False, next_due=await uow.deliveries.next_due())
        results = await asyncio.gather(*(_attempt(msg, senders=senders, settings=settings, now=now)
                                         for msg in claimed), return_exceptions=True)
        # Whatever happens to one message, the outcomes of the others are recorded.
        outcomes = [r if isinstance(r, Outcome) else _retry(msg, r, settings=settings, now=now)
                    for msg, r in zip(claimed, results)]
        next_due = await _record(uow, claimed, outcomes, now=now)
        uow.wrote_events()  # the receipts, written to the outbox by _record's statement: wake the relay
        await uow.commit()
    full = len(claimed) == limit
    return Round(claimed=len(claimed), full=full, next_due=None if full else next_due)


async def deliver_due(uow: NotificationsUnitOfWork, *, senders: dict[str, Sender],
                      settings: NotificationsSettings) -> Round:
    """Deliver rounds until none is full (everything due now is sent or held by another replica)."""
    claimed = 0
    while True:
        result = await deliver_round(uow, senders=senders, settings=settings)
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


async def _record(uow: NotificationsUnitOfWork, claimed, outcomes: list[Outcome], *, now: datetime) -> datetime | None:
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
    others = await uow.deliveries.record(rows, ids=[msg["id"] for msg in claimed], receipts=events)
    return min([d for d in (others, *retries) if d is not None], default=None)


def _receipt(msg, outcome: Outcome):
    message = events.Message(id=msg["id"], rdv_id=msg["rdv_id"], usager_id=msg["usager_id"], agent_id=msg["agent_id"],
                             channel=msg["channel"], kind=msg["kind"],
                             recipient_masked=mask(msg["channel"], msg["recipient"]), attempt=outcome.attempt,
                             **({"error": outcome.error} if outcome.error else {}))
    return new_event(f"notifications.message.{outcome.status}", organisation_id=msg["organisation_id"],
                     data=events.MessageData(message=message))
