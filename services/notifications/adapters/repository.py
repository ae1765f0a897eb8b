"""Reads and writes of the notifications database (SQLAlchemy Core, within a unit of work)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import and_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.notifications.adapters import tables as t
from services.notifications.domain.model import AgentContact, Contact, RdvView
from shared.db import UnitOfWork

DUE_CHANNEL = "notifications_due"  # NOTIFY channel: new work for the delivery loop


async def upsert(uow: UnitOfWork, table, values: dict[str, Any], *, keep: Iterable[str] = ()) -> None:
    """Insert or update a projection row by id (columns in `keep` are not overwritten)."""
    stmt = insert(table).values(**values)
    updates = {k: stmt.excluded[k] for k in values if k != "id" and k not in keep}
    await uow.execute(stmt.on_conflict_do_update(index_elements=[table.c.id], set_=updates)
                      if updates else stmt.on_conflict_do_nothing())


async def mark_deleted(uow: UnitOfWork, table, row_id: uuid.UUID) -> None:
    await uow.execute(update(table).where(table.c.id == row_id).values(deleted=True))


async def get(uow: UnitOfWork, table, row_id) -> dict | None:
    row = (await uow.execute(select(table).where(table.c.id == row_id))).mappings().first()
    return dict(row) if row else None


async def usagers_by_id(uow: UnitOfWork, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict]:
    ids = list(ids)
    if not ids:
        return {}
    rows = (await uow.execute(select(t.usagers).where(t.usagers.c.id.in_(ids)))).mappings().all()
    return {r["id"]: dict(r) for r in rows}


async def agents_by_id(uow: UnitOfWork, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict]:
    ids = list(ids)
    if not ids:
        return {}
    rows = (await uow.execute(select(t.agents).where(t.agents.c.id.in_(ids)))).mappings().all()
    return {r["id"]: dict(r) for r in rows}


def contact_of(usager: dict, responsible: dict | None) -> Contact | None:
    """A relative without contacts of their own is reached through their responsible's contacts
    and preferences; one with an email or a phone is reached directly."""
    if usager.get("anonymized"):
        return None
    own = usager.get("email") or usager.get("phone")
    reach = responsible if usager.get("responsible_id") and not own else usager
    if reach is None or reach.get("anonymized"):
        return None
    return Contact(usager_id=usager["id"], first_name=reach["first_name"], last_name=reach["last_name"],
                   email=reach["email"], phone=reach["phone"], notify_by_sms=reach["notify_by_sms"],
                   notify_by_email=reach["notify_by_email"])


def agent_contact(agent: dict) -> AgentContact | None:
    if agent.get("deleted"):
        return None
    return AgentContact(agent_id=agent["id"], first_name=agent["first_name"], last_name=agent["last_name"],
                        email=agent["email"])


def rdv_view(rdv: dict, *, organisation: dict, service: dict, motif: dict, lieu: dict | None,
             usager_names: Iterable[str] = (), agent_names: Iterable[str] = ()) -> RdvView:
    return RdvView(id=rdv["id"], version=int(rdv["version"]), starts_at=rdv["starts_at"], ends_at=rdv["ends_at"],
                   status=rdv["status"], timezone=organisation["timezone"], organisation_name=organisation["name"],
                   service_name=service["name"], service_short_name=service.get("short_name"),
                   motif_name=motif["name"], location_type=motif["location_type"],
                   lieu_name=lieu["name"] if lieu else None, lieu_address=lieu["address"] if lieu else None,
                   lieu_phone=lieu["phone"] if lieu else None, usager_names=tuple(usager_names),
                   agent_names=tuple(agent_names))


async def add_message(uow: UnitOfWork, values: dict[str, Any]) -> bool:
    """Queue a message once per (cause, channel, recipient); False when it already exists."""
    stmt = insert(t.messages).values(**values).on_conflict_do_nothing(constraint="messages_once_per_cause")
    inserted = (await uow.execute(stmt.returning(t.messages.c.id))).first()
    return inserted is not None


async def notify_due(uow: UnitOfWork) -> None:
    """Wake every replica's delivery loop once this transaction commits."""
    await uow.execute(text(f"select pg_notify('{DUE_CHANNEL}', '')"))


async def cancel_pending(uow: UnitOfWork, *, rdv_id: uuid.UUID, kinds: Iterable[str] | None = None,
                         reason: str) -> None:
    cond = and_(t.messages.c.rdv_id == rdv_id, t.messages.c.status == "pending")
    if kinds is not None:
        cond = and_(cond, t.messages.c.kind.in_(list(kinds)))
    await uow.execute(update(t.messages).where(cond).values(status="cancelled", last_error=reason))


async def set_reminder(uow: UnitOfWork, *, rdv_id: uuid.UUID, organisation_id: uuid.UUID,
                       due_at: datetime | None, now: datetime) -> None:
    """Plan the reminder at `due_at` (None: cancel it). A new time is a new occurrence."""
    current = (await uow.execute(select(t.reminders).where(t.reminders.c.rdv_id == rdv_id)
                                 .with_for_update())).mappings().first()
    if due_at is None:
        if current and current["status"] == "scheduled":
            await uow.execute(update(t.reminders).where(t.reminders.c.rdv_id == rdv_id)
                              .values(status="cancelled", updated_at=now))
        return
    if current and current["due_at"] == due_at and current["status"] in ("scheduled", "done"):
        return  # same time: keep it (and never send a done reminder twice)
    values = {"rdv_id": rdv_id, "organisation_id": organisation_id, "occurrence_id": uuid.uuid4(),
              "due_at": due_at, "status": "scheduled", "updated_at": now}
    stmt = insert(t.reminders).values(**values)
    await uow.execute(stmt.on_conflict_do_update(
        index_elements=[t.reminders.c.rdv_id],
        set_={k: stmt.excluded[k] for k in ("occurrence_id", "due_at", "status", "updated_at")}))
