"""Reads and writes of the notifications database (SQLAlchemy Core, within a unit of work); what a run of
RDV events reads is in snapshot.py."""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert

from services.notifications.adapters import snapshot
from services.notifications.adapters import tables as t
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
        planned = _upsert_sql(t.reminders, reminder_columns, "rdv_id", ("organisation_id",), "reminders")
        parts.append(f"planned as ({planned})")
    if queue:
        parts.append(_QUEUE_CTES)
    if not parts:
        return None
    # data-modifying parts run whether read or not; `woken` (a select) only when read
    return text(f"with {', '.join(parts)} select {'(select count(*) from woken)' if queue else '1'}")


# ---- the repositories the unit of work carries ----------------------------------------------------------

class ProjectionRepository:
    """What messages are made of, kept from other services' events: organisations, services, agents
    (directory), motifs and lieux (catalogue), usagers' contacts."""

    _TABLES = {"organisation": t.organisations, "service": t.services, "agent": t.agents, "motif": t.motifs,
               "lieu": t.lieux, "usager": t.usagers}

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def save(self, kind: str, values: dict[str, Any]) -> None:
        """Insert or update the projected `kind` (organisation, service, agent, motif, lieu, usager) by id."""
        await upsert(self._uow, self._TABLES[kind], values)

    async def mark_deleted(self, kind: str, row_id: uuid.UUID) -> None:
        """Deleted where it is owned: kept (past messages name it), flagged."""
        await mark_deleted(self._uow, self._TABLES[kind], row_id)

    async def usager(self, usager_id: uuid.UUID) -> dict | None:
        return await get(self._uow, t.usagers, usager_id)

    async def messages_naming(self, *, usager_id: uuid.UUID, addresses: list[str]) -> list:
        """The messages to that usager (by id or address), and agents' emails about their RDVs (which name them)."""
        m = t.messages
        theirs = or_(m.c.usager_id == usager_id, m.c.recipient.in_(addresses))
        their_rdvs = select(t.rdvs.c.id).where(t.rdvs.c.usager_ids.any(usager_id))
        about = and_(m.c.agent_id.is_not(None), m.c.rdv_id.in_(their_rdvs))
        return (await self._uow.execute(select(m.c.id, m.c.channel, m.c.recipient, m.c.status, m.c.agent_id)
                                           .where(or_(theirs, about)))).all()

    async def erase_message(self, *, message_id: uuid.UUID, recipient: str, status: str) -> None:
        """The message loses its content (the dev inbox, a view of the messages sent, no longer lists it)."""
        await self._uow.execute(update(t.messages).where(t.messages.c.id == message_id).values(
            recipient=recipient, subject=None, body="", html=None, attachments=[], status=status))


# The new status of each reminder of a batch, given as one JSON array.
_MARK_REMINDERS = text(
    "update reminders as r set status = v.status, updated_at = cast(:now as timestamptz) "
    "from jsonb_to_recordset(cast(:rows as jsonb)) as v(rdv_id uuid, status text) where r.rdv_id = v.rdv_id")


class MessageRepository:
    """The RDVs as notifications hold them, their messages and reminders."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def snapshot(self, **ids: Iterable[uuid.UUID]) -> snapshot.Snapshot:
        """Everything a run of RDV events or reminders needs, in one query (see snapshot.read)."""
        return await snapshot.read(self._uow, **ids)

    async def write_run(self, **parts: Any) -> None:
        """What a run of RDV events changes, in one statement (see `write_run`)."""
        await write_run(self._uow, **parts)

    async def queue(self, rows: list[dict[str, Any]]) -> int:
        """Queue messages once per (cause, channel, recipient); return how many are new."""
        return await queue_messages(self._uow, rows)

    async def purge_rdv(self, rdv_id: uuid.UUID) -> None:
        """The RDV, its messages (sent or not, so their dev-inbox entries) and its reminder."""
        for table in (t.messages, t.reminders):
            await self._uow.execute(delete(table).where(table.c.rdv_id == rdv_id))
        await self._uow.execute(delete(t.rdvs).where(t.rdvs.c.id == rdv_id))

    async def of_rdv(self, *, organisation_id: uuid.UUID, rdv_id: uuid.UUID) -> list[dict]:
        """The messages about one RDV (cancelled ones apart), oldest first."""
        m = t.messages
        return list((await self._uow.execute(
            select(m.c.channel, m.c.kind, m.c.recipient, m.c.status, m.c.sent_at)
            .where(m.c.rdv_id == rdv_id, m.c.organisation_id == organisation_id, m.c.status != "cancelled")
            .order_by(m.c.created_at, m.c.channel, m.c.recipient))).mappings().all())

    async def dev_inbox(self, *, rdv_id: uuid.UUID | None, limit: int) -> list[dict]:
        """Every SMS and email produced, newest first."""
        d = t.dev_messages
        query = select(d).order_by(d.c.created_at.desc(), d.c.id).limit(limit)
        if rdv_id:
            query = query.where(d.c.rdv_id == rdv_id)
        return list((await self._uow.execute(query)).mappings().all())

    async def claim_due_reminders(self, *, now: datetime, limit: int) -> list[dict]:
        """Due reminders, locked (FOR UPDATE SKIP LOCKED: replicas never take the same one)."""
        r = t.reminders
        return list((await self._uow.execute(
            select(r).where(r.c.status == "scheduled", r.c.due_at <= now)
            .order_by(r.c.due_at).limit(limit).with_for_update(skip_locked=True))).mappings().all())

    async def rdvs(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict]:
        return {row["id"]: dict(row) for row in (await self._uow.execute(
            select(t.rdvs).where(t.rdvs.c.id.in_(list(ids))))).mappings()}

    async def mark_reminders(self, statuses: list[dict[str, str]], *, now: datetime) -> None:
        """New statuses of reminders: [{rdv_id, status}], in one statement."""
        await self._uow.execute(_MARK_REMINDERS, {"rows": json.dumps(statuses), "now": now})
