"""Reads and writes of the notifications database (SQLAlchemy Core, within a unit of work); what a run of
RDV events reads is in snapshot.py."""
from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert

from services.notifications.adapters import tables as t
from services.notifications.domain.model import AgentContact, Contact, RdvView
from shared.db import UnitOfWork
from shared.sqljson import json_rows

DUE_CHANNEL = "notifications_due"  # NOTIFY channel: new work for the delivery loop


async def upsert(uow: UnitOfWork, table, values: dict[str, Any], *, keep: Iterable[str] = ()) -> None:
    """Insert or update a projection row by id (columns in `keep` are not overwritten)."""
    stmt = insert(table).values(**values)
    updates = {k: stmt.excluded[k] for k in values if k != "id" and k not in keep}
    await uow.execute(stmt.on_conflict_do_update(index_elements=[table.c.id], set_=updates)
                      if updates else stmt.on_conflict_do_nothing())


async def upsert_many(uow: UnitOfWork, table, rows: list[dict[str, Any]], *, key: str = "id",
                      keep: tuple[str, ...] = ()) -> None:
    """Insert or update rows by `key` in one statement (keys must be distinct; columns in `keep` are
    not overwritten)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: r[key])  # one lock order for every writer
    await uow.execute(_upsert_statement(table, tuple(rows[0]), key, keep), {"rows": json_rows(rows)})


@lru_cache(maxsize=None)
def _upsert_statement(table, columns: tuple[str, ...], key: str, keep: tuple[str, ...]):
    """The same text for any number of rows (prepared once), the rows as one JSON array."""
    return text(_upsert_sql(table, columns, key, keep, "rows"))


def _upsert_sql(table, columns: tuple[str, ...], key: str, keep: tuple[str, ...], param: str) -> str:
    types = {c: table.c[c].type.compile(dialect=postgresql.dialect()) for c in columns}
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key and c not in keep)
    return (f"insert into {table.name} ({', '.join(columns)}) select {', '.join(columns)} "
            f"from jsonb_to_recordset(cast(:{param} as jsonb)) as r({', '.join(f'{c} {k}' for c, k in types.items())}) "
            f"on conflict ({key}) do update set {updates}")


async def mark_deleted(uow: UnitOfWork, table, row_id: uuid.UUID) -> None:
    await uow.execute(update(table).where(table.c.id == row_id).values(deleted=True))


async def get(uow: UnitOfWork, table, row_id) -> dict | None:
    row = (await uow.execute(select(table).where(table.c.id == row_id))).mappings().first()
    return dict(row) if row else None


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


_MESSAGE_COLUMNS = {  # column: its PostgreSQL type
    "id": "uuid", "organisation_id": "uuid", "rdv_id": "uuid", "usager_id": "uuid", "agent_id": "uuid",
    "cause_id": "uuid", "channel": "text", "kind": "text", "recipient": "text", "subject": "text", "body": "text",
    "html": "text", "attachments": "jsonb", "status": "text", "attempts": "integer", "next_attempt_at": "timestamptz",
    "rdv_starts_at": "timestamptz", "created_at": "timestamptz"}
# The same text for any number of rows (prepared once), the rows as one JSON array (cheaper to send than
# arrays of long texts): insert the messages not queued yet (in order: the first of two alike wins) and,
# when any is new, wake every replica's delivery loop once this transaction commits.
_QUEUE_CTES = (
    f"added as (insert into messages ({', '.join(_MESSAGE_COLUMNS)}) "
    f"select {', '.join(_MESSAGE_COLUMNS)} from jsonb_to_recordset(cast(:messages as jsonb)) "
    f"as r({', '.join(f'{c} {k}' for c, k in _MESSAGE_COLUMNS.items())}) "
    "on conflict on constraint messages_once_per_cause do nothing returning 1), "
    f"woken as (select pg_notify('{DUE_CHANNEL}', '') from added limit 1)")
_QUEUE = text(f"with {_QUEUE_CTES} select (select count(*) from added) as added, (select count(*) from woken) as woken")


async def queue_messages(uow: UnitOfWork, rows: list[dict[str, Any]]) -> int:
    """Queue messages once per (cause, channel, recipient) and wake the delivery loops on commit when
    any is new; return how many are new."""
    if not rows:
        return 0
    payload = json_rows(rows)  # the recordset takes the columns it names
    return (await uow.execute(_QUEUE, {"messages": payload})).one().added


async def write_run(uow: UnitOfWork, *, rdvs: list[dict[str, Any]], cancel_reminders_of: Iterable[uuid.UUID],
                    reason: str, messages: list[dict[str, Any]], reminders: list[dict[str, Any]]) -> None:
    """What a run of RDV events changes, in one statement: the RDVs (upserted), their pending reminder
    messages cancelled (`reason`), the new messages queued (see `queue_messages`) and the reminder rows
    (`reminder_rows`). The parts touch distinct rows, so that they are the writes one by one."""
    cancel = sorted(set(cancel_reminders_of))
    rdvs = sorted(rdvs, key=lambda r: r["id"])  # one lock order for every writer
    reminders = sorted(reminders, key=lambda r: r["rdv_id"])
    statement = _run_statement(tuple(rdvs[0]) if rdvs else None, bool(cancel), bool(messages),
                               tuple(reminders[0]) if reminders else None)
    if statement is None:
        return
    await uow.execute(statement, {
        **({"rdvs": json_rows(rdvs)} if rdvs else {}), **({"cancel": cancel, "reason": reason} if cancel else {}),
        **({"messages": json_rows(messages)} if messages else {}),
        **({"reminders": json_rows(reminders)} if reminders else {})})


@lru_cache(maxsize=None)
def _run_statement(rdv_columns: tuple[str, ...] | None, cancel: bool, queue: bool,
                   reminder_columns: tuple[str, ...] | None):
    parts = []
    if rdv_columns:
        parts.append(f"kept as ({_upsert_sql(t.rdvs, rdv_columns, 'id', (), 'rdvs')})")
    if cancel:  # a reminder still waiting to go out would carry stale information
        parts.append("cancelled as (update messages set status = 'cancelled', last_error = :reason "
                     "where rdv_id = any(cast(:cancel as uuid[])) and status = 'pending' and kind = 'reminder')")
    if reminder_columns:
        parts.append(f"planned as ({_upsert_sql(t.reminders, reminder_columns, 'rdv_id', ('organisation_id',), 'reminders')})")
    if queue:
        parts.append(_QUEUE_CTES)
    if not parts:
        return None
    # data-modifying parts run whether read or not; `woken` (a select) only when read
    return text(f"with {', '.join(parts)} select {'(select count(*) from woken)' if queue else '1'}")


def reminder_rows(plans: list[tuple[uuid.UUID, uuid.UUID, datetime | None]], *, current: dict[uuid.UUID, dict],
                  now: datetime) -> list[dict]:
    """Apply (rdv_id, organisation_id, due_at) in order, as one by one, to the `current` reminders of those
    RDVs (read and locked in this transaction): the reminder rows to write."""
    state = dict(current)
    changed: dict[uuid.UUID, dict] = {}
    for rdv_id, organisation_id, due_at in plans:
        current = state.get(rdv_id)
        if due_at is None:
            if not current or current["status"] != "scheduled":
                continue
            new = {**current, "status": "cancelled", "updated_at": now}
        elif current and current["due_at"] == due_at and current["status"] in ("scheduled", "done"):
            continue  # same time: keep it (and never send a done reminder twice)
        else:  # a new time is a new occurrence
            new = {"rdv_id": rdv_id, "organisation_id": current["organisation_id"] if current else organisation_id,
                   "occurrence_id": uuid.uuid4(), "due_at": due_at, "status": "scheduled", "updated_at": now}
        state[rdv_id] = changed[rdv_id] = new
    return list(changed.values())
