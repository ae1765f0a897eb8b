"""Reading and writing the availability tables (SQLAlchemy Core, keyword-only functions).

Every query of organisation data filters by `organisation_id`; absences and busy RDVs
of an agent are read across organisations when computing créneaux (an agent is closed
whatever organisation closed them).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.availability.adapters.tables import absences, busy_rdvs, lieux, motifs, plages
from services.availability.domain import recurrence as rec_mod
from services.availability.domain.model import ACTIVE_STATUSES, Absence, BusyRdv, Lieu, Motif, Plage

# ---------- lieux and motifs ----------

_LIEU_COLS = ("id", "organisation_id", "name", "address", "phone")
_MOTIF_COLS = ("id", "organisation_id", "name", "service_id", "duration_minutes", "location_type", "color",
               "reservable_online", "min_booking_delay_minutes", "max_booking_delay_days")


def _lieu(row) -> Lieu:
    return Lieu(**{c: getattr(row, c) for c in _LIEU_COLS})


def _motif(row) -> Motif:
    return Motif(**{c: getattr(row, c) for c in _MOTIF_COLS})


async def add_lieu(*, session: AsyncSession, lieu: Lieu) -> None:
    await session.execute(insert(lieux).values(**{c: getattr(lieu, c) for c in _LIEU_COLS}))


async def save_lieu(*, session: AsyncSession, lieu: Lieu) -> None:
    await session.execute(update(lieux).where(lieux.c.id == lieu.id).values(
        **{c: getattr(lieu, c) for c in _LIEU_COLS[2:]}, updated_at=func.now()))


async def get_lieu(*, session: AsyncSession | AsyncConnection, organisation_id: uuid.UUID, lieu_id: uuid.UUID) -> Lieu | None:
    row = (await session.execute(select(lieux).where(
        lieux.c.id == lieu_id, lieux.c.organisation_id == organisation_id, lieux.c.deleted_at.is_(None)))).first()
    return _lieu(row) if row else None


async def list_lieux(*, session: AsyncSession, organisation_id: uuid.UUID, page: int,
                     per_page: int) -> tuple[list[Lieu], int]:
    cond = and_(lieux.c.organisation_id == organisation_id, lieux.c.deleted_at.is_(None))
    return await _page(session, lieux, cond, [lieux.c.name, lieux.c.id], page, per_page, _lieu)


async def delete_lieu(*, session: AsyncSession, lieu_id: uuid.UUID) -> None:
    await session.execute(update(lieux).where(lieux.c.id == lieu_id).values(deleted_at=func.now()))


async def add_motif(*, session: AsyncSession, motif: Motif) -> None:
    await session.execute(insert(motifs).values(**{c: getattr(motif, c) for c in _MOTIF_COLS}))


async def save_motif(*, session: AsyncSession, motif: Motif) -> None:
    await session.execute(update(motifs).where(motifs.c.id == motif.id).values(
        **{c: getattr(motif, c) for c in _MOTIF_COLS[2:]}, updated_at=func.now()))


async def get_motif(*, session: AsyncSession | AsyncConnection, organisation_id: uuid.UUID, motif_id: uuid.UUID) -> Motif | None:
    row = (await session.execute(select(motifs).where(
        motifs.c.id == motif_id, motifs.c.organisation_id == organisation_id,
        motifs.c.deleted_at.is_(None)))).first()
    return _motif(row) if row else None


async def list_motifs(*, session: AsyncSession, organisation_id: uuid.UUID, page: int, per_page: int,
                      service_id: uuid.UUID | None = None) -> tuple[list[Motif], int]:
    cond = and_(motifs.c.organisation_id == organisation_id, motifs.c.deleted_at.is_(None),
                *( [motifs.c.service_id == service_id] if service_id else []))
    return await _page(session, motifs, cond, [motifs.c.name, motifs.c.id], page, per_page, _motif)


async def delete_motif(*, session: AsyncSession, motif_id: uuid.UUID) -> None:
    await session.execute(update(motifs).where(motifs.c.id == motif_id).values(deleted_at=func.now()))


async def _page(session, table, cond, order, page: int, per_page: int, build) -> tuple[list, int]:
    total = (await session.execute(select(func.count()).select_from(table).where(cond))).scalar_one()
    rows = (await session.execute(select(table).where(cond).order_by(*order)
                                  .limit(per_page).offset((page - 1) * per_page))).all()
    return [build(r) for r in rows], total


# ---------- plages and absences ----------

_PLAGE_COLS = ("id", "organisation_id", "agent_id", "lieu_id", "motif_ids", "title", "first_day", "start_time",
               "end_time", "timezone")
_ABSENCE_COLS = ("id", "organisation_id", "agent_id", "title", "first_day", "start_time", "end_day",
                 "end_time", "timezone")


_RECURRENCES: dict[tuple, rec_mod.Recurrence | None] = {}


def _recurrence(raw: dict | None) -> rec_mod.Recurrence | None:
    """Stored recurrences are valid and few distinct ones repeat on many rows: parse each once."""
    if raw is None:
        return None
    on = raw.get("on")
    key = (raw.get("every"), raw.get("interval"), tuple(on) if isinstance(on, list) else tuple(sorted(on.items())),
           raw.get("until"))
    found = _RECURRENCES.get(key)
    if found is None:
        found = rec_mod.parse(raw)
        if len(_RECURRENCES) < 10_000:
            _RECURRENCES[key] = found
    return found


def _plage(row) -> Plage:
    return Plage(**{c: getattr(row, c) for c in _PLAGE_COLS}, recurrence=_recurrence(row.recurrence))


def _absence(row) -> Absence:
    return Absence(**{c: getattr(row, c) for c in _ABSENCE_COLS}, recurrence=_recurrence(row.recurrence))


def _plage_values(plage: Plage) -> dict[str, Any]:
    return {**{c: getattr(plage, c) for c in _PLAGE_COLS},
            "recurrence": plage.recurrence.to_json() if plage.recurrence else None, "last_day": plage.last_day}


def _absence_values(absence: Absence) -> dict[str, Any]:
    return {**{c: getattr(absence, c) for c in _ABSENCE_COLS},
            "recurrence": absence.recurrence.to_json() if absence.recurrence else None,
            "last_day": absence.last_day}


async def add_plage(*, session: AsyncSession, plage: Plage) -> None:
    await session.execute(insert(plages).values(**_plage_values(plage)))


async def save_plage(*, session: AsyncSession, plage: Plage) -> None:
    values = _plage_values(plage)
    values.pop("id")
    await session.execute(update(plages).where(plages.c.id == plage.id).values(**values, updated_at=func.now()))


async def get_plage(*, session: AsyncSession, organisation_id: uuid.UUID, plage_id: uuid.UUID) -> Plage | None:
    row = (await session.execute(select(plages).where(
        plages.c.id == plage_id, plages.c.organisation_id == organisation_id))).first()
    return _plage(row) if row else None


async def list_plages(*, session: AsyncSession, organisation_id: uuid.UUID, agent_id: uuid.UUID | None,
                      page: int, per_page: int, lieu_id: uuid.UUID | None = None) -> tuple[list[Plage], int]:
    cond = and_(plages.c.organisation_id == organisation_id,
                *([plages.c.agent_id == agent_id] if agent_id else []),
                *([plages.c.lieu_id == lieu_id] if lieu_id else []))
    return await _page(session, plages, cond, [plages.c.first_day, plages.c.start_time, plages.c.id],
                       page, per_page, _plage)


async def plages_of_agents(*, session: AsyncSession, organisation_id: uuid.UUID,
                           agent_ids: list[uuid.UUID]) -> list[Plage]:
    rows = (await session.execute(select(plages).where(
        plages.c.organisation_id == organisation_id, plages.c.agent_id.in_(agent_ids)))).all()
    return [_plage(r) for r in rows]


async def delete_plage(*, session: AsyncSession, plage_id: uuid.UUID) -> None:
    await session.execute(delete(plages).where(plages.c.id == plage_id))


async def add_absence(*, session: AsyncSession, absence: Absence) -> None:
    await session.execute(insert(absences).values(**_absence_values(absence)))


async def save_absence(*, session: AsyncSession, absence: Absence) -> None:
    values = _absence_values(absence)
    values.pop("id")
    await session.execute(update(absences).where(absences.c.id == absence.id)
                          .values(**values, updated_at=func.now()))


async def get_absence(*, session: AsyncSession, organisation_id: uuid.UUID,
                      absence_id: uuid.UUID) -> Absence | None:
    row = (await session.execute(select(absences).where(
        absences.c.id == absence_id, absences.c.organisation_id == organisation_id))).first()
    return _absence(row) if row else None


async def list_absences(*, session: AsyncSession, organisation_id: uuid.UUID, agent_id: uuid.UUID | None,
                        page: int, per_page: int) -> tuple[list[Absence], int]:
    cond = and_(absences.c.organisation_id == organisation_id,
                *([absences.c.agent_id == agent_id] if agent_id else []))
    return await _page(session, absences, cond, [absences.c.first_day, absences.c.start_time, absences.c.id],
                       page, per_page, _absence)


async def delete_absence(*, session: AsyncSession, absence_id: uuid.UUID) -> None:
    await session.execute(delete(absences).where(absences.c.id == absence_id))


# ---------- inputs of a search: one query each, for every agent concerned ----------

# Search queries select the entity's fields in dataclass order, the recurrence as text: rows
# become entities positionally, and each distinct recurrence text is parsed once (hot path).
_PLAGE_FIELDS = ("id", "organisation_id", "agent_id", "lieu_id", "motif_ids", "title", "first_day", "start_time",
                 "end_time", "recurrence::text", "timezone")
_ABSENCE_FIELDS = ("id", "organisation_id", "agent_id", "title", "first_day", "start_time", "end_day", "end_time",
                   "recurrence::text", "timezone")
_RECURRENCE_TEXTS: dict[str | None, rec_mod.Recurrence | None] = {None: None}


def _recurrence_text(raw: str | None) -> rec_mod.Recurrence | None:
    try:
        return _RECURRENCE_TEXTS[raw]
    except KeyError:
        import json

        found = rec_mod.parse(json.loads(raw))  # type: ignore[arg-type]
        if len(_RECURRENCE_TEXTS) < 10_000:
            _RECURRENCE_TEXTS[raw] = found
        return found


_SEARCH_PLAGES = text(
    "select " + ", ".join(f"p.{c}" for c in _PLAGE_FIELDS) + " from plages p "
    "join lieux l on l.id = p.lieu_id and l.deleted_at is null "
    "where p.organisation_id = :org and :motif = any(p.motif_ids) "
    "and (cast(:all_agents as boolean) or p.agent_id = any(:agents)) "
    "and (cast(:lieu as uuid) is null or p.lieu_id = :lieu) "
    "and p.first_day <= :last and (p.last_day is null or p.last_day >= :first)")


async def plages_for_search(*, session: AsyncSession | AsyncConnection, organisation_id: uuid.UUID,
                            motif_id: uuid.UUID, agent_ids: list[uuid.UUID] | None, lieu_id: uuid.UUID | None,
                            first: date, last: date) -> list[Plage]:
    """Plages offering the motif (at the lieu) of these agents (None = all) active on first..last."""
    rows = (await session.execute(_SEARCH_PLAGES, {
        "org": organisation_id, "motif": motif_id, "all_agents": agent_ids is None, "agents": agent_ids or [],
        "lieu": lieu_id, "first": first, "last": last})).all()
    return [Plage(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], _recurrence_text(r[9]), r[10])
            for r in rows]


_SEARCH_ABSENCES = text(
    "select " + ", ".join(_ABSENCE_FIELDS) + " from absences where agent_id = any(:agents) "
    "and first_day <= :last and (last_day is null or last_day >= :first)")


async def absences_for_agents(*, session: AsyncSession | AsyncConnection, agent_ids: list[uuid.UUID], first: date,
                              last: date) -> list[Absence]:
    """Absences of these agents (every organisation) touching the days first..last."""
    if not agent_ids:
        return []
    rows = (await session.execute(_SEARCH_ABSENCES, {"agents": agent_ids, "first": first, "last": last})).all()
    return [Absence(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], _recurrence_text(r[8]), r[9]) for r in rows]


_SEARCH_BUSY = text(
    "select a.agent_id, extract(epoch from b.starts_at)::bigint, extract(epoch from b.ends_at)::bigint "
    "from busy_rdvs b cross join lateral unnest(b.agent_ids) as a(agent_id) "
    "where b.agent_ids && cast(:agents as uuid[]) and b.starts_at < :end and b.ends_at > :start "
    "and b.status = any(:active) and a.agent_id = any(:agents)")


async def busy_intervals(*, session: AsyncSession | AsyncConnection, agent_ids: list[uuid.UUID], start: datetime,
                         end: datetime) -> list[tuple[uuid.UUID, int, int]]:
    """(agent_id, start, end) in epoch seconds of the active RDVs of these agents in [start, end)."""
    if not agent_ids:
        return []
    return [tuple(r) for r in (await session.execute(_SEARCH_BUSY, {  # type: ignore[misc]
        "agents": agent_ids, "start": start, "end": end, "active": list(ACTIVE_STATUSES)})).all()]


# ---------- busy RDVs (projection of booking.rdv.*) ----------

def _busy(row) -> BusyRdv:
    return BusyRdv(id=row.id, organisation_id=row.organisation_id, agent_ids=list(row.agent_ids),
                   starts_at=row.starts_at, ends_at=row.ends_at, status=row.status, version=row.version,
                   motif_id=row.motif_id, lieu_id=row.lieu_id)


async def busy_rdvs_of(*, session: AsyncSession, agent_ids: list[uuid.UUID], start: datetime | None,
                       end: datetime | None, active_only: bool = True) -> list[BusyRdv]:
    """RDVs of these agents overlapping [start, end) (None = unbounded), by start."""
    conds = [busy_rdvs.c.agent_ids.overlap(agent_ids)]
    if start is not None:
        conds.append(busy_rdvs.c.ends_at > start)
    if end is not None:
        conds.append(busy_rdvs.c.starts_at < end)
    if active_only:
        conds.append(busy_rdvs.c.status.in_(ACTIVE_STATUSES))
    rows = (await session.execute(select(busy_rdvs).where(*conds).order_by(busy_rdvs.c.starts_at))).all()
    return [_busy(r) for r in rows]


async def upsert_busy(*, session: AsyncSession, rdv: BusyRdv, event_at: datetime) -> bool:
    """Keep the RDV's newest state: an event whose version is not newer changes nothing."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    values = dict(id=rdv.id, organisation_id=rdv.organisation_id, agent_ids=rdv.agent_ids,
                  starts_at=rdv.starts_at, ends_at=rdv.ends_at, status=rdv.status, version=rdv.version,
                  event_at=event_at, motif_id=rdv.motif_id, lieu_id=rdv.lieu_id)
    stmt = pg_insert(busy_rdvs).values(**values)
    excluded = stmt.excluded
    newer = or_(excluded.version > busy_rdvs.c.version,
                # Producers without versions: the later event wins.
                and_(excluded.version == 0, busy_rdvs.c.version == 0, excluded.event_at > busy_rdvs.c.event_at))
    stmt = stmt.on_conflict_do_update(index_elements=[busy_rdvs.c.id],
                                      set_={k: excluded[k] for k in values if k != "id"}, where=newer)
    result = await session.execute(stmt.returning(busy_rdvs.c.id))
    return result.first() is not None


async def delete_busy(*, session: AsyncSession, rdv_id: uuid.UUID) -> None:
    """Forget an RDV that booking purged (retention)."""
    await session.execute(busy_rdvs.delete().where(busy_rdvs.c.id == rdv_id))
