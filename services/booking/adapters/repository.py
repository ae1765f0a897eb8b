"""Reading and writing RDVs with SQL (SQLAlchemy core over the unit of work's session).

Overlaps are refused by the exclusion constraint `rdv_agents_no_overlap`: a violation
surfaces here as `SlotTaken`, never as a Python-side comparison.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from services.booking.domain.rdv import Rdv, SlotTaken, Viewer, is_active
from shared.events import Envelope
from shared.outbox import outbox_row

EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"
RETRYABLE = {"40P01", "40001"}  # deadlock detected, serialization failure

_COLUMNS = ("id, organisation_id, motif_id, service_id, lieu_id, agent_ids, usager_ids, starts_at, "
            "ends_at, status, context, origin, created_at, created_by, cancelled_at, version")


class DuplicateIdempotencyKey(Exception):
    """Another create with the same Idempotency-Key committed first."""


class RetryTransaction(Exception):
    """PostgreSQL aborted the transaction to break a deadlock: run it again.

    Two transactions inserting conflicting rows at the same moment may each wait for the
    other while checking the exclusion constraint; PostgreSQL aborts one of them. Run again,
    it either fits (the other rolled back) or meets the committed row (a plain violation).
    """


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def _to_rdv(row) -> Rdv:
    return Rdv(id=row.id, organisation_id=row.organisation_id, motif_id=row.motif_id,
               service_id=row.service_id, lieu_id=row.lieu_id, agent_ids=tuple(row.agent_ids),
               usager_ids=tuple(row.usager_ids), starts_at=row.starts_at, ends_at=row.ends_at,
               status=row.status, context=row.context, origin=row.origin, created_at=row.created_at,
               created_by=row.created_by, cancelled_at=row.cancelled_at, version=row.version)


async def _guarded(session, statement, params):
    """Run a write; translate the exclusion constraint's refusal into SlotTaken."""
    try:
        return await session.execute(statement, params)
    except DBAPIError as exc:
        if _sqlstate(exc) in RETRYABLE:
            raise RetryTransaction() from exc
        if not isinstance(exc, IntegrityError):
            raise
        if _sqlstate(exc) == EXCLUSION_VIOLATION:
            raise SlotTaken("Ce créneau est déjà pris pour l'un des agents.") from exc
        if _sqlstate(exc) == UNIQUE_VIOLATION and "rdvs_idempotency" in str(exc.orig):
            raise DuplicateIdempotencyKey() from exc
        raise


# Writes under the exclusion constraint first queue per agent on a transaction-level advisory lock,
# in agent order. Without it, N concurrent inserts for one slot each see the others' uncommitted rows
# and wait on them: the waits form cycles that PostgreSQL only breaks one deadlock_timeout (1 s) at a
# time, so a burst of 30 fighters for one slot held every connection for up to 30 s. Queued, each
# insert meets the previous one committed (or rolled back): the constraint still decides, at once.
_AGENT_LOCKS = ("select count(pg_advisory_xact_lock(hashtextextended(cast(a.agent_id as text), 7))) "
                "from (select distinct agent_id from unnest(cast(:agent_ids as uuid[])) as u(agent_id) "
                "order by agent_id) as a")

# The RDV row (as `r`) and its per-agent rows under the exclusion constraint (after the agents' locks).
_RDV_ROWS = f"""
with r as (
  insert into rdvs ({_COLUMNS}, idempotency_key, request_hash)
  select :id, :organisation_id, :motif_id, :service_id, :lieu_id, :agent_ids, :usager_ids, :starts_at,
         :ends_at, :status, :context, :origin, :created_at, :created_by, :cancelled_at, :version,
         :idempotency_key, :request_hash
  where ({_AGENT_LOCKS}) >= 0
  returning id
), agents as (
  insert into rdv_agents (rdv_id, agent_id, during, active)
  select r.id, a.agent_id, tstzrange(:starts_at, :ends_at, '[)'), :active
  from r, unnest(cast(:agent_ids as uuid[])) as a(agent_id)
  order by a.agent_id
)
"""
_INSERT = text(_RDV_ROWS + "select 1")


# The create and its event in one statement (its own transaction): the exclusion constraint or the
# idempotency index refusing the RDV refuses the event row with it.
_INSERT_WITH_EVENT = text(_RDV_ROWS + """
insert into outbox (id, subject, payload, headers)
select :event_id, :subject, cast(:payload as jsonb), cast(:headers as jsonb) from r
""")


def _params(rdv: Rdv) -> dict:
    return {"id": rdv.id, "organisation_id": rdv.organisation_id, "motif_id": rdv.motif_id,
            "service_id": rdv.service_id, "lieu_id": rdv.lieu_id, "agent_ids": list(rdv.agent_ids),
            "usager_ids": list(rdv.usager_ids), "starts_at": rdv.starts_at, "ends_at": rdv.ends_at,
            "status": rdv.status, "context": rdv.context, "origin": rdv.origin, "created_at": rdv.created_at,
            "created_by": rdv.created_by, "cancelled_at": rdv.cancelled_at, "version": rdv.version,
            "active": is_active(rdv.status)}


async def add(session, *, rdv: Rdv, idempotency_key: str | None = None, request_hash: str | None = None) -> None:
    """Insert an RDV and its per-agent rows in one statement (under the exclusion constraint)."""
    await _guarded(session, _INSERT, {**_params(rdv), "idempotency_key": idempotency_key,
                                      "request_hash": request_hash})


async def add_with_event(statements, *, rdv: Rdv, event: Envelope, idempotency_key: str | None,
                         request_hash: str | None) -> None:
    """Insert an RDV, its per-agent rows and its outbox row in one autocommit statement.

    The outbox row is `shared.outbox.outbox_row(event)`, as the unit of work writes it; one round trip
    instead of BEGIN, two INSERTs, COMMIT.
    """
    row = outbox_row(event)
    await _guarded(statements, _INSERT_WITH_EVENT, {
        **_params(rdv), "idempotency_key": idempotency_key, "request_hash": request_hash, "event_id": row["id"],
        "subject": row["subject"], "payload": json.dumps(row["payload"]), "headers": json.dumps(row["headers"])})


async def get(session, *, organisation_id: uuid.UUID, rdv_id: uuid.UUID, for_update: bool = False) -> Rdv | None:
    lock = " for update" if for_update else ""
    row = (await session.execute(
        text(f"select {_COLUMNS} from rdvs where id = :id and organisation_id = :org{lock}"),
        {"id": rdv_id, "org": organisation_id})).first()
    return _to_rdv(row) if row else None


async def by_idempotency_key(session, *, organisation_id: uuid.UUID, key: str) -> tuple[Rdv, str | None] | None:
    row = (await session.execute(
        text(f"select {_COLUMNS}, request_hash from rdvs where organisation_id = :org and idempotency_key = :key"),
        {"org": organisation_id, "key": key})).first()
    return (_to_rdv(row), row.request_hash) if row else None


_UPDATE = text("""
update rdvs set lieu_id = :lieu_id, agent_ids = :agent_ids, starts_at = :starts_at, ends_at = :ends_at,
  status = :status, context = :context, cancelled_at = :cancelled_at, version = :version, updated_at = :updated_at
where id = :id
""")


_LOCK_AGENTS = text(_AGENT_LOCKS)


async def save(session, *, rdv: Rdv, updated_at: datetime, agents_changed: bool,
               previous_agent_ids=()) -> None:
    """Write a changed RDV; its per-agent rows follow (time range, agents, active flag), after the
    agents' locks (see `_AGENT_LOCKS`; held until the unit of work ends)."""
    params = {**_params(rdv), "updated_at": updated_at}
    await session.execute(_LOCK_AGENTS, {"agent_ids": sorted(set(rdv.agent_ids) | set(previous_agent_ids))})
    await session.execute(_UPDATE, params)
    if agents_changed:
        await session.execute(text("delete from rdv_agents where rdv_id = :id"), {"id": rdv.id})
        await _guarded(session, text(
            "insert into rdv_agents (rdv_id, agent_id, during, active) "
            "select :id, a.agent_id, tstzrange(:starts_at, :ends_at, '[)'), :active "
            "from unnest(cast(:agent_ids as uuid[])) as a(agent_id) order by a.agent_id"), params)
    else:
        await _guarded(session, text(
            "update rdv_agents set during = tstzrange(:starts_at, :ends_at, '[)'), active = :active "
            "where rdv_id = :id"), params)


async def record_status_change(session, *, rdv: Rdv, previous_status: str, changed_at: datetime,
                               changed_by: uuid.UUID | None) -> None:
    await session.execute(text(
        "insert into rdv_status_changes (rdv_id, previous_status, status, changed_at, changed_by) "
        "values (:r, :p, :s, :at, :by)"),
        {"r": rdv.id, "p": previous_status, "s": rdv.status, "at": changed_at, "by": changed_by})


async def find_conflict(session, *, agent_ids, starts_at: datetime, ends_at: datetime,
                        exclude_rdv_id: uuid.UUID | None) -> tuple[uuid.UUID, uuid.UUID] | None:
    """After a refusal: which active RDV holds one of these agents over this range (id, organisation)."""
    row = (await session.execute(text(
        "select ra.rdv_id, r.organisation_id from rdv_agents ra join rdvs r on r.id = ra.rdv_id "
        "where ra.active and ra.agent_id = any(cast(:agents as uuid[])) "
        "and ra.during && tstzrange(:s, :e, '[)') and ra.rdv_id is distinct from :me "
        "order by lower(ra.during) limit 1"),
        {"agents": list(agent_ids), "s": starts_at, "e": ends_at, "me": exclude_rdv_id})).first()
    return (row.rdv_id, row.organisation_id) if row else None


# A hit is answered only when the create could not be answered otherwise before the insert: the
# motif (and lieu) are known and live in the catalogue projection (else availability answers 422
# first), and no RDV holds the Idempotency-Key (a retry is answered with its first RDV).
_TAKEN_AT = (
    "select ra.rdv_id, r.organisation_id from rdv_agents ra join rdvs r on r.id = ra.rdv_id "
    "where ra.active and {agents} and ra.during @> cast(:at as timestamptz) "
    "and exists (select 1 from motifs m where m.id = :motif and m.organisation_id = :org and not m.deleted) "
    "and (cast(:lieu as uuid) is null or exists (select 1 from lieux l where l.id = cast(:lieu as uuid) "
    "and l.organisation_id = :org and not l.deleted)) "
    "and (cast(:key as text) is null or not exists (select 1 from rdvs k where k.organisation_id = :org "
    "and k.idempotency_key = cast(:key as text))) "
    "order by lower(ra.during) limit 1")
# One agent (the usual case) by equality: a prepared statement's generic plan then still probes the
# GiST index by agent and instant, where `= any(...)` would read every agent's RDVs at that instant.
_TAKEN_AT_ONE = text(_TAKEN_AT.format(agents="ra.agent_id = :agent"))
_TAKEN_AT_ANY = text(_TAKEN_AT.format(agents="ra.agent_id = any(cast(:agents as uuid[]))"))


async def taken_at(session, *, organisation_id: uuid.UUID, agent_ids, starts_at: datetime, motif_id: uuid.UUID,
                   lieu_id: uuid.UUID | None, idempotency_key: str | None) -> tuple[uuid.UUID, uuid.UUID] | None:
    """Before a create: the active RDV (id, organisation) that holds one of these agents at the start instant.

    Any RDV starting there overlaps it whatever its duration, so a hit is a sure `slot_taken`; a miss
    proves nothing (the insert under the exclusion constraint decides).
    """
    params = {"at": starts_at, "motif": motif_id, "lieu": lieu_id, "org": organisation_id, "key": idempotency_key}
    if len(agent_ids) == 1:
        statement, params["agent"] = _TAKEN_AT_ONE, agent_ids[0]
    else:
        statement, params["agents"] = _TAKEN_AT_ANY, list(agent_ids)
    row = (await session.execute(statement, params)).first()
    return (row.rdv_id, row.organisation_id) if row else None


@dataclass(frozen=True)
class RdvFilters:
    agent_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    motif_id: uuid.UUID | None = None
    lieu_id: uuid.UUID | None = None
    usager_id: uuid.UUID | None = None
    statuses: tuple[str, ...] = ()
    starts_from: datetime | None = None
    starts_before: datetime | None = None


async def list_visible(session, *, viewer: Viewer, filters: RdvFilters, page: int,
                       per_page: int) -> tuple[list[Rdv], int]:
    """The viewer's visible RDVs matching the filters, by start; and how many there are in all."""
    where = ["organisation_id = :org"]
    params: dict = {"org": viewer.organisation_id, "limit": per_page, "offset": (page - 1) * per_page}
    if not viewer.is_admin:
        where.append("(service_id = any(cast(:my_services as uuid[])) or agent_ids @> array[cast(:me as uuid)])")
        params["my_services"] = list(viewer.service_ids)
        params["me"] = viewer.agent_id
    for column in ("service_id", "motif_id", "lieu_id"):
        value = getattr(filters, column)
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    if filters.agent_id is not None:
        where.append("agent_ids @> array[cast(:agent_id as uuid)]")
        params["agent_id"] = filters.agent_id
    if filters.usager_id is not None:
        where.append("usager_ids @> array[cast(:usager_id as uuid)]")
        params["usager_id"] = filters.usager_id
    if filters.statuses:
        where.append("status = any(:statuses)")
        params["statuses"] = list(filters.statuses)
    if filters.starts_from is not None:
        where.append("starts_at >= :starts_from")
        params["starts_from"] = filters.starts_from
    if filters.starts_before is not None:
        where.append("starts_at < :starts_before")
        params["starts_before"] = filters.starts_before
    rows = (await session.execute(text(
        f"select {_COLUMNS}, count(*) over () as total from rdvs where {' and '.join(where)} "
        "order by starts_at, created_at, id limit :limit offset :offset"), params)).all()
    if rows:
        return [_to_rdv(r) for r in rows], rows[0].total
    if page > 1:  # past the last page: still tell the total
        total = (await session.execute(text(f"select count(*) from rdvs where {' and '.join(where)}"),
                                       {k: v for k, v in params.items() if k not in ("limit", "offset")})).scalar()
        return [], int(total or 0)
    return [], 0
