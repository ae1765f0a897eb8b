"""The RDVs' repository (`uow.rdvs`): reading and writing RDVs with SQL through the unit of work.

Overlaps are refused by the exclusion constraint `rdv_agents_no_overlap`: a violation
surfaces here as `SlotTaken`, never as a Python-side comparison.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from services.booking.domain.rdv import (DuplicateIdempotencyKey, Rdv, RdvFilters, RetryTransaction, SlotTaken,
                                         Viewer, is_active)
from shared.db import UnitOfWork
from shared.events import Envelope
from shared.outbox import outbox_headers, payload_json

EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"
RETRYABLE = {"40P01", "40001"}  # deadlock detected, serialization failure

_COLUMNS = ("id, organisation_id, motif_id, service_id, lieu_id, agent_ids, usager_ids, starts_at, "
            "ends_at, status, context, origin, created_at, created_by, cancelled_at, version")


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


_UPDATE = text("""
update rdvs set lieu_id = :lieu_id, agent_ids = :agent_ids, starts_at = :starts_at, ends_at = :ends_at,
  status = :status, context = :context, cancelled_at = :cancelled_at, version = :version, updated_at = :updated_at
where id = :id
""")


_LOCK_AGENTS = text(_AGENT_LOCKS)
_GET = text(f"select {_COLUMNS} from rdvs where id = :id and organisation_id = :org")
_GET_FOR_UPDATE = text(f"select {_COLUMNS} from rdvs where id = :id and organisation_id = :org for update")
_BY_KEY = text(f"select {_COLUMNS}, request_hash from rdvs where organisation_id = :org and idempotency_key = :key")
_DELETE_AGENTS = text("delete from rdv_agents where rdv_id = :id")
_INSERT_AGENTS = text("insert into rdv_agents (rdv_id, agent_id, during, active) "
                      "select :id, a.agent_id, tstzrange(:starts_at, :ends_at, '[)'), :active "
                      "from unnest(cast(:agent_ids as uuid[])) as a(agent_id) order by a.agent_id")
_UPDATE_AGENTS = text("update rdv_agents set during = tstzrange(:starts_at, :ends_at, '[)'), active = :active "
                      "where rdv_id = :id")
_RECORD_STATUS = text("insert into rdv_status_changes (rdv_id, previous_status, status, changed_at, changed_by) "
                      "values (:r, :p, :s, :at, :by)")
_FIND_CONFLICT = text(
    "select ra.rdv_id, r.organisation_id from rdv_agents ra join rdvs r on r.id = ra.rdv_id "
    "where ra.active and ra.agent_id = any(cast(:agents as uuid[])) "
    "and ra.during && tstzrange(:s, :e, '[)') and ra.rdv_id is distinct from :me "
    "order by lower(ra.during) limit 1")
# Retention: a batch of RDVs past their keeping period, claimed so that concurrent purges skip each other's.
_EXPIRED = text("select id, organisation_id, agent_ids, usager_ids, ends_at from rdvs where ends_at < :cutoff "
                "order by ends_at limit :n for update skip locked")
_DELETE = text("delete from rdvs where id = any(:ids)")  # rdv_agents and rdv_status_changes cascade
_FORGET_EVENTS = text("delete from outbox where sent_at is not null and payload->'data'->'rdv'->>'id' = any(:ids)")


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


class RdvRepository:
    """The RDVs of the booking database, through one unit of work (`uow.rdvs`)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def add(self, *, rdv: Rdv, idempotency_key: str | None = None, request_hash: str | None = None) -> None:
        """Insert an RDV and its per-agent rows in one statement (under the exclusion constraint)."""
        await _guarded(self._uow, _INSERT, {**_params(rdv), "idempotency_key": idempotency_key,
                                            "request_hash": request_hash})

    async def add_with_event(self, *, rdv: Rdv, event: Envelope, idempotency_key: str | None,
                             request_hash: str | None) -> None:
        """Insert an RDV, its per-agent rows and its outbox row in one statement (in an autocommit unit
        of work: its own transaction).

        The outbox row is the one the unit of work writes (`shared.outbox`); one round trip instead of
        BEGIN, two INSERTs, COMMIT.
        """
        await _guarded(self._uow, _INSERT_WITH_EVENT, {
            **_params(rdv), "idempotency_key": idempotency_key, "request_hash": request_hash, "event_id": event.id,
            "subject": event.subject, "payload": payload_json(event), "headers": json.dumps(outbox_headers(event))})
        self._uow.wrote_events()

    async def get(self, *, organisation_id: uuid.UUID, rdv_id: uuid.UUID, for_update: bool = False) -> Rdv | None:
        row = (await self._uow.execute(_GET_FOR_UPDATE if for_update else _GET,
                                       {"id": rdv_id, "org": organisation_id})).first()
        return _to_rdv(row) if row else None

    async def by_idempotency_key(self, *, organisation_id: uuid.UUID, key: str) -> tuple[Rdv, str | None] | None:
        row = (await self._uow.execute(_BY_KEY, {"org": organisation_id, "key": key})).first()
        return (_to_rdv(row), row.request_hash) if row else None

    async def save(self, *, rdv: Rdv, updated_at: datetime, agents_changed: bool,
                   previous_agent_ids=()) -> None:
        """Write a changed RDV; its per-agent rows follow (time range, agents, active flag), after the
        agents' locks (see `_AGENT_LOCKS`; held until the unit of work ends)."""
        params = {**_params(rdv), "updated_at": updated_at}
        await self._uow.execute(_LOCK_AGENTS, {"agent_ids": sorted(set(rdv.agent_ids) | set(previous_agent_ids))})
        await self._uow.execute(_UPDATE, params)
        if agents_changed:
            await self._uow.execute(_DELETE_AGENTS, {"id": rdv.id})
            await _guarded(self._uow, _INSERT_AGENTS, params)
        else:
            await _guarded(self._uow, _UPDATE_AGENTS, params)

    async def record_status_change(self, *, rdv: Rdv, previous_status: str, changed_at: datetime,
                                   changed_by: uuid.UUID | None) -> None:
        await self._uow.execute(_RECORD_STATUS, {"r": rdv.id, "p": previous_status, "s": rdv.status,
                                                 "at": changed_at, "by": changed_by})

    async def find_conflict(self, *, agent_ids, starts_at: datetime, ends_at: datetime,
                            exclude_rdv_id: uuid.UUID | None) -> tuple[uuid.UUID, uuid.UUID] | None:
        """After a refusal: which active RDV holds one of these agents over this range (id, organisation)."""
        row = (await self._uow.execute(_FIND_CONFLICT, {
            "agents": list(agent_ids), "s": starts_at, "e": ends_at, "me": exclude_rdv_id})).first()
        return (row.rdv_id, row.organisation_id) if row else None

    async def taken_at(self, *, organisation_id: uuid.UUID, agent_ids, starts_at: datetime, motif_id: uuid.UUID,
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
        row = (await self._uow.execute(statement, params)).first()
        return (row.rdv_id, row.organisation_id) if row else None

    async def list_visible(self, *, viewer: Viewer, filters: RdvFilters, page: int,
                           per_page: int) -> tuple[list[Rdv], int]:
        """The viewer's visible RDVs matching the filters, by start; and how many there are in all."""
        where, params = _visible_where(viewer, filters)
        rows = (await self._uow.execute(text(
            f"select {_COLUMNS}, count(*) over () as total from rdvs where {where} "
            "order by starts_at, created_at, id limit :limit offset :offset"),
            {**params, "limit": per_page, "offset": (page - 1) * per_page})).all()
        if rows:
            return [_to_rdv(r) for r in rows], rows[0].total
        if page > 1:  # past the last page: still tell the total
            total = (await self._uow.execute(text(f"select count(*) from rdvs where {where}"), params)).scalar()
            return [], int(total or 0)
        return [], 0

    async def claim_expired(self, *, cutoff: datetime, limit: int) -> list:
        """Retention: up to `limit` RDVs that ended before `cutoff`, locked for this unit of work (rows with
        id, organisation_id, agent_ids, usager_ids, ends_at); those another purge holds are skipped."""
        return (await self._uow.execute(_EXPIRED, {"cutoff": cutoff, "n": limit})).all()

    async def delete_with_published_events(self, *, rdv_ids: list[uuid.UUID]) -> None:
        """Delete RDVs with their history, and the events already published about them (the outbox keeps them)."""
        await self._uow.execute(_DELETE, {"ids": rdv_ids})
        await self._uow.execute(_FORGET_EVENTS, {"ids": [str(i) for i in rdv_ids]})


def _visible_where(viewer: Viewer, filters: RdvFilters) -> tuple[str, dict]:
    """The WHERE clause (and its parameters) of the viewer's visible RDVs matching the filters."""
    where = ["organisation_id = :org"]
    params: dict = {"org": viewer.organisation_id}
    if not viewer.is_admin:
        where.append("(service_id = any(cast(:my_services as uuid[])) or agent_ids @> array[cast(:me as uuid)])")
        params["my_services"] = list(viewer.service_ids)
        params["me"] = viewer.agent_id
    for column in ("service_id", "motif_id", "lieu_id"):
        value = getattr(filters, column)
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    for column in ("agent_id", "usager_id"):
        value = getattr(filters, column)
        if value is not None:
            where.append(f"{column}s @> array[cast(:{column} as uuid)]")
            params[column] = value
    if filters.statuses:
        where.append("status = any(:statuses)")
        params["statuses"] = list(filters.statuses)
    if filters.starts_from is not None:
        where.append("starts_at >= :starts_from")
        params["starts_from"] = filters.starts_from
    if filters.starts_before is not None:
        where.append("starts_at < :starts_before")
        params["starts_before"] = filters.starts_before
    return " and ".join(where), params
