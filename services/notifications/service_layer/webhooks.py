"""Webhooks of organisations: their configuration (admins, through the gateway) and the queueing of one
delivery per (event, webhook) by the consumers of BOOKING and USAGERS, in the inbox's transaction.

The consumers are notifications' own of BOOKING (`notifications-rdv`) and USAGERS (`notifications-usagers`):
no durable consumer more to create, authorise and watch. A delivery's id (the X-Rdv-Delivery header) and body
are written before its first attempt, once: the unique (webhook, cause, event) and the inbox both drop a
redelivered event, so a consumer restart never makes a second delivery of one event to one webhook."""
from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime
from typing import Awaitable, Callable

from services.notifications.domain.webhooks import PING, UrlRefused, check_url, pseudonymise, webhook_events
from services.notifications.service_layer.events import UsagerAnonymizedData
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared import clock
from shared.errors import NotFound, ValidationFailed
from shared.events import Envelope
from shared.identity import Identity
from shared.timeutil import iso

LOG_DAYS = 30  # the delivery log keeps a delivery this long after its event (bodies hold personal data)
Handler = Callable[[NotificationsUnitOfWork, Envelope], Awaitable[None]]
BatchHandler = Callable[[NotificationsUnitOfWork, list[Envelope]], Awaitable[None]]


def body_json(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def with_webhooks(handler: Handler) -> Handler:
    """`handler`, then the webhook deliveries of the event (same transaction)."""
    async def run(uow: NotificationsUnitOfWork, envelope: Envelope) -> None:
        await handler(uow, envelope)
        await on_events(uow, [envelope])
    return run


def with_webhooks_batch(handler: BatchHandler) -> BatchHandler:
    async def run(uow: NotificationsUnitOfWork, envelopes: list[Envelope]) -> None:
        await handler(uow, envelopes)
        await on_events(uow, envelopes)
    return run


async def on_events(uow: NotificationsUnitOfWork, envelopes: list[Envelope]) -> None:
    """Queue a delivery of each event to every active webhook of its organisation that chose it
    (one read of the webhooks for the whole batch; nothing more when the organisations have none)."""
    for envelope in envelopes:
        if envelope.type == "usagers.usager.anonymized" and envelope.organisation_id is not None:
            usager_id = UsagerAnonymizedData.model_validate(envelope.data).usager_id
            await forget_usager(uow, organisation_id=envelope.organisation_id, usager_id=str(usager_id))
    wanted = [(e, webhook_events(e.type, e.data)) for e in envelopes if e.organisation_id is not None]
    wanted = [(e, events) for e, events in wanted if events]
    if not wanted:
        return
    hooks = await uow.webhooks.active(e.organisation_id for e, _ in wanted)
    if not hooks:
        return
    now = clock.now()
    keys: dict = {}
    rows = []
    for envelope, events in wanted:
        mine = [h for h in hooks if h.organisation_id == envelope.organisation_id and set(h.events) & set(events)]
        if not mine:
            continue
        plain = envelope.model_dump(mode="json")
        bodies = {False: body_json(plain)}
        if any(h.pseudonymised for h in mine):
            if envelope.organisation_id not in keys:
                keys[envelope.organisation_id] = await uow.webhooks.pseudonym_key(envelope.organisation_id)
            bodies[True] = body_json(pseudonymise(plain, keys[envelope.organisation_id]))
        rows += [{"id": uuid.uuid4(), "webhook_id": h.id, "organisation_id": envelope.organisation_id,
                  "cause_id": envelope.id, "event": event, "body": bodies[h.pseudonymised], "status": "pending",
                  "attempts": 0, "next_attempt_at": now, "created_at": now}
                 for h in mine for event in events if event in h.events]
    if rows:
        await uow.webhooks.queue(rows)


async def forget_usager(uow: NotificationsUnitOfWork, *, organisation_id, usager_id: str) -> None:
    """An anonymised usager: the bodies kept in the delivery log that name them are erased, and what was
    still to be sent about them is not sent."""
    if not usager_id:
        return
    await uow.webhooks.forget(organisation_id=organisation_id, text_in_body=usager_id,
                              reason="usager anonymisé : non envoyé")


async def purge_log(uow: NotificationsUnitOfWork, *, before: datetime) -> int:
    """Deliveries done (delivered or failed) before `before` leave the log."""
    async with uow:
        count = await uow.webhooks.purge(before=before)
        await uow.commit()
    return count


# ---- configuration (routes) --------------------------------------------------------------------------

def view(row, zone: str, *, secret: bool = False) -> dict:
    out = {"id": str(row.id), "url": row.url, "events": list(row.events), "pseudonymised": row.pseudonymised,
           "active": row.active, "created_at": iso(row.created_at, zone),
           "disabled_at": iso(row.disabled_at, zone) if row.disabled_at else None}
    if secret:
        out["secret"] = row.secret
    return out


def checked_url(url: str, *, production: bool) -> str:
    try:
        return check_url(url, production=production)
    except UrlRefused as exc:
        raise ValidationFailed(str(exc), code=exc.code, details={"fields": {"url": str(exc)}}) from None


async def create(uow: NotificationsUnitOfWork, identity: Identity, *, url: str, events: list[str],
                 pseudonymised: bool, production: bool) -> dict:
    """Add a webhook to the organisation; the answer carries its signing secret (shown once)."""
    url = checked_url(url, production=production)
    now = clock.now()
    async with uow:
        row = await uow.webhooks.add(dict(
            id=uuid.uuid4(), organisation_id=identity.organisation_id, url=url, events=sorted(set(events)),
            secret="whsec_" + secrets.token_urlsafe(32), pseudonymised=pseudonymised, active=True,
            created_by=identity.agent_id, created_at=now, updated_at=now))
        await uow.commit()
    return view(row, identity.timezone, secret=True)


async def _owned(uow: NotificationsUnitOfWork, identity: Identity, webhook_id: uuid.UUID, *, lock: bool = False):
    row = await uow.webhooks.owned(organisation_id=identity.organisation_id, webhook_id=webhook_id, lock=lock)
    if row is None:
        raise NotFound("Webhook introuvable.")
    return row


async def listing(uow: NotificationsUnitOfWork, identity: Identity, *, page: int, per_page: int) -> dict:
    """The organisation's webhooks, oldest first (without their secrets)."""
    async with uow:
        rows, total = await uow.webhooks.page(organisation_id=identity.organisation_id, limit=per_page,
                                              offset=(page - 1) * per_page)
    return {"items": [view(r, identity.timezone) for r in rows], "total": total, "page": page, "per_page": per_page}


async def change(uow: NotificationsUnitOfWork, identity: Identity, webhook_id: uuid.UUID, changes: dict, *,
                 production: bool) -> dict:
    """Change a webhook's url, events, pseudonymisation or activity."""
    values: dict = {}
    if "url" in changes:
        values["url"] = checked_url(changes["url"], production=production)
    if "events" in changes:
        values["events"] = sorted(set(changes["events"]))
    if "pseudonymised" in changes:
        values["pseudonymised"] = changes["pseudonymised"]
    if "active" in changes:
        values["active"] = changes["active"]
    now = clock.now()
    async with uow:
        row = await _owned(uow, identity, webhook_id, lock=True)
        if values.get("active") and not row.active:
            values["disabled_at"] = None
        elif values.get("active") is False and row.active:
            values["disabled_at"] = now
        if values:
            row = await uow.webhooks.change(webhook_id, {"updated_at": now, **values})
        await uow.commit()
    return view(row, identity.timezone)


async def remove(uow: NotificationsUnitOfWork, identity: Identity, webhook_id: uuid.UUID) -> None:
    """Delete a webhook and its delivery log."""
    async with uow:
        await _owned(uow, identity, webhook_id, lock=True)
        await uow.webhooks.remove(webhook_id)
        await uow.commit()


async def ping(uow: NotificationsUnitOfWork, identity: Identity, webhook_id: uuid.UUID) -> dict:
    """Queue a `ping` (one attempt, logged like any delivery)."""
    now = clock.now()
    delivery_id = uuid.uuid4()
    envelope = {"id": str(delivery_id), "type": PING, "version": 1, "occurred_at": now.isoformat(),
                "organisation_id": str(identity.organisation_id),
                "actor": {"kind": "agent", "id": str(identity.agent_id) if identity.agent_id else None},
                "data": {"webhook_id": str(webhook_id)}}
    async with uow:
        await _owned(uow, identity, webhook_id)
        await uow.webhooks.queue([dict(
            id=delivery_id, webhook_id=webhook_id, organisation_id=identity.organisation_id, cause_id=delivery_id,
            event=PING, body=body_json(envelope), status="pending", attempts=0, next_attempt_at=now,
            created_at=now)])
        await uow.commit()
    return {"delivery_id": str(delivery_id)}


async def deliveries(uow: NotificationsUnitOfWork, identity: Identity, webhook_id: uuid.UUID, *, page: int,
                     per_page: int) -> dict:
    """A webhook's delivery log, newest first."""
    zone = identity.timezone
    async with uow:
        await _owned(uow, identity, webhook_id)
        rows, total = await uow.webhooks.deliveries(webhook_id=webhook_id, limit=per_page,
                                                    offset=(page - 1) * per_page)

    def one(r) -> dict:
        when = lambda v: iso(v, zone) if isinstance(v, datetime) else None  # noqa: E731
        return {"id": str(r.id), "event": r.event, "attempt": r.attempts, "status_code": r.status_code,
                "error": r.error, "delivered_at": when(r.delivered_at), "status": r.status,
                "created_at": when(r.created_at),
                "next_attempt_at": when(r.next_attempt_at) if r.status == "pending" else None,
                "attempts": list(r.history)}
    return {"items": [one(r) for r in rows], "total": total, "page": page, "per_page": per_page}
