"""The busy projection (booking.rdv.*): each RDV's agents, interval, status and version.
Read across organisations: an agent is busy whatever organisation booked them.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import select, text

from services.availability.adapters.tables import busy_rdvs
from services.availability.domain.model import ACTIVE_STATUSES, BusyRdv
from shared.db import UnitOfWork


# busy_agents (one row per agent of each busy RDV, kept by triggers: migration 0004) is read by agent
# and end, so the search reaches each agent's RDVs from the window on, not their whole history.
_SEARCH_BUSY = text(
    "select b.agent_id, extract(epoch from b.starts_at)::bigint, extract(epoch from b.ends_at)::bigint "
    "from busy_agents b "
    "where b.agent_id = any(cast(:agents as uuid[])) and b.ends_at > :start and b.starts_at < :end "
    "and b.status = any(:active)")


def _busy(row) -> BusyRdv:
    return BusyRdv(id=row.id, organisation_id=row.organisation_id, agent_ids=list(row.agent_ids),
                   starts_at=row.starts_at, ends_at=row.ends_at, status=row.status, version=row.version,
                   motif_id=row.motif_id, lieu_id=row.lieu_id, payload=row.payload or {})


# Upsert many RDVs in one statement (at most one row per RDV id); a constant statement, compiled once.
_UPSERT_MANY = text(
    "insert into busy_rdvs (id, organisation_id, agent_ids, starts_at, ends_at, status, version, event_at, "
    "motif_id, lieu_id, payload) "
    "select t.id, t.organisation_id, t.agent_ids, t.starts_at, t.ends_at, t.status, t.version, t.event_at, "
    "t.motif_id, t.lieu_id, t.payload "
    "from jsonb_to_recordset(cast(:rows as jsonb)) as t(id uuid, organisation_id uuid, agent_ids uuid[], "
    "starts_at timestamptz, ends_at timestamptz, status text, version integer, event_at timestamptz, "
    "motif_id uuid, lieu_id uuid, payload jsonb) "
    "on conflict (id) do update set organisation_id = excluded.organisation_id, agent_ids = excluded.agent_ids, "
    "starts_at = excluded.starts_at, ends_at = excluded.ends_at, status = excluded.status, "
    "version = excluded.version, event_at = excluded.event_at, motif_id = excluded.motif_id, "
    "lieu_id = excluded.lieu_id, payload = excluded.payload "
    "where excluded.version > busy_rdvs.version "
    "or (excluded.version = 0 and busy_rdvs.version = 0 and excluded.event_at > busy_rdvs.event_at)")

_DELETE_MANY = text("delete from busy_rdvs where id = any(cast(:ids as uuid[]))")


def _str(value) -> str | None:
    return None if value is None else str(value)


class BusyRepository:
    """The busy projection (agents' RDVs from booking's events), through one unit of work (`uow.busy`)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def busy_intervals(self, *, agent_ids: list[uuid.UUID], start: datetime,
                             end: datetime) -> list[tuple[uuid.UUID, int, int]]:
        """(agent_id, start, end) in epoch seconds of the active RDVs of these agents in [start, end)."""
        if not agent_ids:
            return []
        return [tuple(r) for r in (await self._uow.execute(_SEARCH_BUSY, {  # type: ignore[misc]
            "agents": agent_ids, "start": start, "end": end, "active": list(ACTIVE_STATUSES)})).all()]

    async def busy_rdvs_of(self, *, agent_ids: list[uuid.UUID], start: datetime | None,
                           end: datetime | None, active_only: bool = True) -> list[BusyRdv]:
        """RDVs of these agents overlapping [start, end) (None = unbounded), by start."""
        conds = [busy_rdvs.c.agent_ids.overlap(agent_ids)]
        if start is not None:
            conds.append(busy_rdvs.c.ends_at > start)
        if end is not None:
            conds.append(busy_rdvs.c.starts_at < end)
        if active_only:
            conds.append(busy_rdvs.c.status.in_(ACTIVE_STATUSES))
        rows = (await self._uow.execute(select(busy_rdvs).where(*conds).order_by(busy_rdvs.c.starts_at))).all()
        return [_busy(r) for r in rows]

    async def upsert_busy_many(self, *, rdvs: list[tuple[BusyRdv, datetime]]) -> None:
        """Upsert the states (RDV, event instant) of distinct RDVs in one statement, each kept only if newer:
        a higher version, or for producers without versions (0) a later event."""
        if not rdvs:
            return
        rows = [{"id": str(r.id), "organisation_id": str(r.organisation_id), "agent_ids": [str(a) for a in r.agent_ids],
                 "starts_at": r.starts_at.isoformat(), "ends_at": r.ends_at.isoformat(), "status": r.status,
                 "version": r.version, "event_at": at.isoformat(), "motif_id": _str(r.motif_id),
                 "lieu_id": _str(r.lieu_id), "payload": r.payload} for r, at in rdvs]
        await self._uow.execute(_UPSERT_MANY, {"rows": json.dumps(rows, default=str)})

    async def delete_busy_many(self, *, rdv_ids: list[uuid.UUID]) -> None:
        """Forget RDVs that booking purged (retention)."""
        if rdv_ids:
            await self._uow.execute(_DELETE_MANY, {"ids": rdv_ids})
