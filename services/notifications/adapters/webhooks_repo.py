"""Webhooks of organisations in PostgreSQL: their configuration, the delivery log and queue, and what a
disabled webhook tells its organisation's admins. The NOTIFY of a queued delivery reaches every
replica's webhook loop when the transaction commits."""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.notifications.adapters import tables as t
from services.notifications.adapters.repository import DUE_CHANNEL as MESSAGES_DUE
from services.notifications.domain.webhooks import PING
from shared.db import UnitOfWork

DUE_CHANNEL = "webhooks_due"  # NOTIFY channel: new deliveries for the webhook loop
_NOTIFY = text(f"select pg_notify('{DUE_CHANNEL}', '')")
_NOTIFY_MESSAGES = text(f"select pg_notify('{MESSAGES_DUE}', '')")
w, d = t.webhooks, t.webhook_deliveries

_CLAIM = text("""
select d.id, d.webhook_id, d.organisation_id, d.event, d.body, d.attempts, d.created_at, d.history,
  w.url, w.secret, w.created_by
from webhook_deliveries as d join webhooks as w on w.id = d.webhook_id
where d.status = 'pending' and d.next_attempt_at <= :now and (w.active or d.event = 'ping')
order by d.next_attempt_at limit :n for update of d skip locked""")
# Read for every batch of BOOKING and USAGERS events: a constant statement, prepared once (an expanding IN
# would be compiled again for each number of organisations).
_ACTIVE = text("select id, organisation_id, events, pseudonymised from webhooks "
               "where organisation_id = any(cast(:orgs as uuid[])) and active")
_NEXT_DUE = text("""
select min(d.next_attempt_at) from webhook_deliveries as d join webhooks as w on w.id = d.webhook_id
where d.status = 'pending' and (w.active or d.event = 'ping')""")


class WebhookRepository:
    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    # ---- configuration --------------------------------------------------------------------------

    async def add(self, values: dict[str, Any]):
        return (await self._uow.execute(insert(w).values(**values).returning(*w.c))).one()

    async def owned(self, *, organisation_id: uuid.UUID, webhook_id: uuid.UUID, lock: bool = False):
        """The webhook if it belongs to the organisation (locked until the transaction ends with `lock`)."""
        query = select(w).where(w.c.id == webhook_id, w.c.organisation_id == organisation_id)
        return (await self._uow.execute(query.with_for_update() if lock else query)).first()

    async def page(self, *, organisation_id: uuid.UUID, limit: int, offset: int) -> tuple[list, int]:
        mine = w.c.organisation_id == organisation_id
        total = (await self._uow.execute(select(func.count()).select_from(w).where(mine))).scalar_one()
        rows = (await self._uow.execute(select(w).where(mine).order_by(w.c.created_at, w.c.id)
                                           .offset(offset).limit(limit))).all()
        return rows, total

    async def change(self, webhook_id: uuid.UUID, values: dict[str, Any]):
        return (await self._uow.execute(update(w).where(w.c.id == webhook_id).values(**values)
                                           .returning(*w.c))).one()

    async def remove(self, webhook_id: uuid.UUID) -> None:
        await self._uow.execute(w.delete().where(w.c.id == webhook_id))  # its deliveries go with it

    async def pseudonym_key(self, organisation_id: uuid.UUID) -> str:
        """The organisation's key for pseudonymised bodies, made at its first use."""
        await self._uow.execute(insert(t.webhook_keys).values(organisation_id=organisation_id,
                                                                 pseudonym_key=secrets.token_urlsafe(32))
                                   .on_conflict_do_nothing())
        return (await self._uow.execute(select(t.webhook_keys.c.pseudonym_key)
                                           .where(t.webhook_keys.c.organisation_id == organisation_id))).scalar_one()

    async def active(self, organisation_ids: Iterable[uuid.UUID]) -> list:
        """(id, organisation_id, events, pseudonymised) of the active webhooks of these organisations."""
        return (await self._uow.execute(_ACTIVE, {"orgs": list(set(organisation_ids))})).all()

    # ---- the delivery log -----------------------------------------------------------------------

    async def queue(self, rows: list[dict[str, Any]]) -> None:
        """Deliveries to make (one per webhook, cause and event: a redelivered cause adds nothing); the
        webhook loops are woken when the transaction commits."""
        await self._uow.execute(insert(d).values(rows).on_conflict_do_nothing(constraint="webhook_deliveries_once"))
        await self._uow.execute(_NOTIFY)

    async def deliveries(self, *, webhook_id: uuid.UUID, limit: int, offset: int) -> tuple[list, int]:
        total = (await self._uow.execute(select(func.count()).select_from(d)
                                            .where(d.c.webhook_id == webhook_id))).scalar_one()
        rows = (await self._uow.execute(select(d).where(d.c.webhook_id == webhook_id)
                                           .order_by(d.c.created_at.desc(), d.c.id).offset(offset)
                                           .limit(limit))).all()
        return rows, total

    async def forget(self, *, organisation_id: uuid.UUID, text_in_body: str, reason: str) -> None:
        """Bodies naming `text_in_body` are erased; those still pending are not sent (`reason`)."""
        about = and_(d.c.organisation_id == organisation_id, d.c.body.contains(text_in_body))
        await self._uow.execute(update(d).where(about, d.c.status == "pending")
                                   .values(status="failed", error=reason))
        await self._uow.execute(update(d).where(about).values(body=""))

    async def purge(self, *, before: datetime) -> int:
        """Deliveries done (delivered or failed) before `before` leave the log."""
        return (await self._uow.execute(d.delete().where(d.c.created_at < before, d.c.status != "pending"))).rowcount

    # ---- sending --------------------------------------------------------------------------------

    async def claim(self, *, now: datetime, limit: int) -> list:
        """Due deliveries with their webhook's url and secret, locked (replicas skip them)."""
        return (await self._uow.execute(_CLAIM, {"now": now, "n": limit})).all()

    async def next_due(self) -> datetime | None:
        return (await self._uow.execute(_NEXT_DUE)).scalar()

    async def record(self, delivery_id: uuid.UUID, values: dict[str, Any]) -> None:
        await self._uow.execute(update(d).where(d.c.id == delivery_id).values(**values))

    async def disable(self, webhook_id: uuid.UUID, *, now: datetime) -> str | None:
        """Disable the webhook and fail its other pending deliveries; its url, or None if it was disabled already."""
        done = (await self._uow.execute(update(w).where(w.c.id == webhook_id, w.c.active)
                                           .values(active=False, disabled_at=now, updated_at=now)
                                           .returning(w.c.url))).first()
        if done is None:
            return None
        await self._uow.execute(update(d).where(d.c.webhook_id == webhook_id, d.c.status == "pending",
                                                   d.c.event != PING)
                                   .values(status="failed", error="webhook désactivé"))
        return done.url

    async def admins(self, *, organisation_id: uuid.UUID, fallback: uuid.UUID | None) -> list:
        """(id, email) of the organisation's admins; `fallback` (the webhook's author) when no role is known
        yet (agents projected before migration 0005)."""
        a = t.agents
        reachable = and_(~a.c.deleted, a.c.email.is_not(None))
        rows = (await self._uow.execute(select(a.c.id, a.c.email).where(
            a.c.organisation_id == organisation_id, a.c.role == "admin", reachable))).all()
        if not rows and fallback:
            rows = (await self._uow.execute(select(a.c.id, a.c.email).where(a.c.id == fallback, reachable))).all()
        return rows

    async def organisation_name(self, organisation_id: uuid.UUID) -> str | None:
        return (await self._uow.execute(select(t.organisations.c.name)
                                           .where(t.organisations.c.id == organisation_id))).scalar()

    async def queue_emails(self, rows: list[dict[str, Any]]) -> None:
        """Messages not about an RDV (to admins); the delivery loops are woken when the transaction commits."""
        await self._uow.execute(insert(t.messages).values(rows).on_conflict_do_nothing())
        await self._uow.execute(_NOTIFY_MESSAGES)
