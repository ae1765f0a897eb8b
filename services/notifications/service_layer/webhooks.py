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

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.notifications.adapters import tables as t
from services.notifications.domain.webhooks import (PING, UrlRefused, check_url, pseudonymise,
                                                    webhook_events)
from shared import clock
from shared.db import Database, UnitOfWork
from shared.errors import NotFound, ValidationFailed
from shared.events import Envelope
from shared.inbox import BatchHandler, Handler
from shared.identity import Identity
from shared.timeutil import iso

LOG_DAYS = 30  # the delivery log keeps a delivery this long after its event (bodies hold personal data)
DUE_CHANNEL = "webhooks_due"  # NOTIFY channel: new deliveries for the webhook loop
_NOTIFY = text(f"select pg_notify('{DUE_CHANNEL}', '')")
w, d = t.webhooks, t.webhook_deliveries


def body_json(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


async def pseudonym_key(uow: UnitOfWork, organisation_id) -> str:
    await uow.execute(insert(t.webhook_keys).values(organisation_id=organisation_id,
                                                    pseudonym_key=secrets.token_urlsafe(32))
                      .on_conflict_do_nothing())
    return (await uow.execute(select(t.webhook_keys.c.pseudonym_key)
                              .where(t.webhook_keys.c.organisation_id == organisation_id))).scalar_one()


def with_webhooks(handler: Handler) -> Handler:
    """`handler`, then the webhook deliveries of the event (same transaction)."""
    async def run(uow: UnitOfWork, envelope: Envelope) -> None:
        await handler(uow, envelope)
        await on_events(uow, [envelope])
    return run


def with_webhooks_batch(handler: BatchHandler) -> BatchHandler:
    async def run(uow: UnitOfWork, envelopes: list[Envelope]) -> None:
        await handler(uow, envelopes)
        await on_events(uow, envelopes)
    return run


async def on_events(uow: UnitOfWork, envelopes: list[Envelope]) -> None:
    """Queue a delivery of each event to every active webhook of its organisation that chose it
    (one read of the webhooks for the whole batch; nothing more when the organisations have none)."""
    for envelope in envelopes:
        if envelope.type == "usagers.usager.anonymized" and envelope.organisation_id is not None:
            await forget_usager(uow, organisation_id=envelope.organisation_id,
                                usager_id=str(envelope.data.get("usager_id") or ""))
    wanted = [(e, webhook_events(e.type, e.data)) for e in envelopes if e.organisation_id is not None]
    wanted = [(e, events) for e, events in wanted if events]
    if not wanted:
        return
    hooks = (await uow.execute(select(w.c.id, w.c.organisation_id, w.c.events, w.c.pseudonymised).where(
        w.c.organisation_id.in_({e.organisation_id for e, _ in wanted}), w.c.active))).all()
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
                keys[envelope.organisation_id] = await pseudonym_key(uow, envelope.organisation_id)
            bodies[True] = body_json(pseudonymise(plain, keys[envelope.organisation_id]))
        rows += [{"id": uuid.uuid4(), "webhook_id": h.id, "organisation_id": envelope.organisation_id,
                  "cause_id": envelope.id, "event": event, "body": bodies[h.pseudonymised], "status": "pending",
                  "attempts": 0, "next_attempt_at": now, "created_at": now}
                 for h in mine for event in events if event in h.events]
    if rows:
        await uow.execute(insert(d).values(rows).on_conflict_do_nothing(constraint="webhook_deliveries_once"))
        await uow.execute(_NOTIFY)  # delivered on commit, to every replica


async def forget_usager(uow: UnitOfWork, *, organisation_id, usager_id: str) -> None:
    """An anonymised usager: the bodies kept in the delivery log that name them are erased, and what was
    still to be sent about them is not sent."""
    if not usager_id:
        return
    about = and_(d.c.organisation_id == organisation_id, d.c.body.contains(usager_id))
    await uow.execute(update(d).where(about, d.c.status == "pending")
                      .values(status="failed", error="usager anonymisé : non envoyé"))
    await uow.execute(update(d).where(about).values(body=""))


async def purge_log(db: Database, *, before: datetime) -> int:
    """Deliveries done (delivered or failed) before `before` leave the log."""
    async with db.uow() as uow:
        count = (await uow.execute(d.delete().where(d.c.created_at < before, d.c.status != "pending"))).rowcount
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


async def create(db: Database, identity: Identity, *, url: str, events: list[str], pseudonymised: bool,
                 production: bool) -> dict:
    url = checked_url(url, production=production)
    now = clock.now()
    async with db.uow() as uow:
        row = (await uow.execute(insert(w).values(
            id=uuid.uuid4(), organisation_id=identity.organisation_id, url=url, events=sorted(set(events)),
            secret="whsec_" + secrets.token_urlsafe(32), pseudonymised=pseudonymised, active=True,
            created_by=identity.agent_id, created_at=now, updated_at=now).returning(*w.c))).one()
        await uow.commit()
    return view(row, identity.timezone, secret=True)


async def _owned(uow: UnitOfWork, identity: Identity, webhook_id: uuid.UUID, *, lock: bool = False):
    query = select(w).where(w.c.id == webhook_id, w.c.organisation_id == identity.organisation_id)
    row = (await uow.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("Webhook introuvable.")
    return row


async def listing(db: Database, identity: Identity, *, page: int, per_page: int) -> dict:
    async with db.uow() as uow:
        total = (await uow.execute(select(func.count()).select_from(w)
                                   .where(w.c.organisation_id == identity.organisation_id))).scalar_one()
        rows = (await uow.execute(select(w).where(w.c.organisation_id == identity.organisation_id)
                                  .order_by(w.c.created_at, w.c.id).offset((page - 1) * per_page)
                                  .limit(per_page))).all()
    return {"items": [view(r, identity.timezone) for r in rows], "total": total, "page": page, "per_page": per_page}


async def change(db: Database, identity: Identity, webhook_id: uuid.UUID, changes: dict, *,
                 production: bool) -> dict:
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
    async with db.uow() as uow:
        row = await _owned(uow, identity, webhook_id, lock=True)
        if values.get("active") and not row.active:
            values["disabled_at"] = None
        elif values.get("active") is False and row.active:
            values["disabled_at"] = now
        if values:
            row = (await uow.execute(update(w).where(w.c.id == webhook_id).values(updated_at=now, **values)
                                     .returning(*w.c))).one()
        await uow.commit()
    return view(row, identity.timezone)


async def remove(db: Database, identity: Identity, webhook_id: uuid.UUID) -> None:
    async with db.uow() as uow:
        await _owned(uow, identity, webhook_id, lock=True)
        await uow.execute(w.delete().where(w.c.id == webhook_id))  # its deliveries go with it
        await uow.commit()


async def ping(db: Database, identity: Identity, webhook_id: uuid.UUID) -> dict:
    """Queue a `ping` (one attempt, logged like any delivery)."""
    now = clock.now()
    delivery_id = uuid.uuid4()
    envelope = {"id": str(delivery_id), "type": PING, "version": 1, "occurred_at": now.isoformat(),
                "organisation_id": str(identity.organisation_id),
                "actor": {"kind": "agent", "id": str(identity.agent_id) if identity.agent_id else None},
                "data": {"webhook_id": str(webhook_id)}}
    async with db.uow() as uow:
        await _owned(uow, identity, webhook_id)
        await uow.execute(insert(d).values(
            id=delivery_id, webhook_id=webhook_id, organisation_id=identity.organisation_id, cause_id=delivery_id,
            event=PING, body=body_json(envelope), status="pending", attempts=0, next_attempt_at=now,
            created_at=now))
        await uow.execute(_NOTIFY)
        await uow.commit()
    return {"delivery_id": str(delivery_id)}


async def deliveries(db: Database, identity: Identity, webhook_id: uuid.UUID, *, page: int,
                     per_page: int) -> dict:
    zone = identity.timezone
    async with db.uow() as uow:
        await _owned(uow, identity, webhook_id)
        total = (await uow.execute(select(func.count()).select_from(d)
                                   .where(d.c.webhook_id == webhook_id))).scalar_one()
        rows = (await uow.execute(select(d).where(d.c.webhook_id == webhook_id)
                                  .order_by(d.c.created_at.desc(), d.c.id).offset((page - 1) * per_page)
                                  .limit(per_page))).all()

    def one(r) -> dict:
        when = lambda v: iso(v, zone) if isinstance(v, datetime) else None  # noqa: E731
        return {"id": str(r.id), "event": r.event, "attempt": r.attempts, "status_code": r.status_code,
                "error": r.error, "delivered_at": when(r.delivered_at), "status": r.status,
                "created_at": when(r.created_at),
                "next_attempt_at": when(r.next_attempt_at) if r.status == "pending" else None,
                "attempts": list(r.history)}
    return {"items": [one(r) for r in rows], "total": total, "page": page, "per_page": per_page}
