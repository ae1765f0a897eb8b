"""Reading and writing the availability tables (SQLAlchemy Core, keyword-only functions).
Every query of organisation data filters by `organisation_id`; absences of an agent are
read across organisations when computing créneaux (an agent is closed whatever
organisation closed them). The busy projection lives in `adapters/busy.py`.
"""
from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, text, update

from services.availability.adapters.tables import absences, lieux, motifs, plages
from services.availability.domain import recurrence as rec_mod
from services.availability.domain.model import Absence, Lieu, Motif, Plage
from shared.db import UnitOfWork

# ---------- lieux and motifs ----------

_LIEU_COLS = ("id", "organisation_id", "name", "address", "phone")
_MOTIF_COLS = ("id", "organisation_id", "name", "service_id", "duration_minutes", "location_type", "color",
               "reservable_online", "min_booking_delay_minutes", "max_booking_delay_days")


def _lieu(row) -> Lieu:
    return Lieu(**{c: getattr(row, c) for c in _LIEU_COLS})


def _motif(row) -> Motif:
    return Motif(**{c: getattr(row, c) for c in _MOTIF_COLS})


# Read on every search and check: built once (a statement built per call is compiled per call).
_GET_LIEU = select(lieux).where(lieux.c.id == bindparam("lieu_id"), lieux.c.organisation_id == bindparam("org"),
                                lieux.c.deleted_at.is_(None))
_GET_MOTIF = select(motifs).where(motifs.c.id == bindparam("motif_id"), motifs.c.organisation_id == bindparam("org"),
                                  motifs.c.deleted_at.is_(None))


async def _page(uow: UnitOfWork, table, cond, order, page: int, per_page: int, build) -> tuple[list, int]:
    total = (await uow.execute(select(func.count()).select_from(table).where(cond))).scalar_one()
    rows = (await uow.execute(select(table).where(cond).order_by(*order)
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


_SEARCH_ABSENCES = text(
    "select " + ", ".join(_ABSENCE_FIELDS) + " from absences where agent_id = any(:agents) "
    "and first_day <= :last and (last_day is null or last_day >= :first)")


# ---------- booking's check: every input in one statement ----------

def _check_inputs(*, all_agents: bool) -> text:
    # Two statements rather than `(:all or agent_id = any(:agents))`: a prepared statement's generic
    # plan could not then look plages up by agent in `plages_org_agent`.
    agents = "" if all_agents else "and p.agent_id = any(cast(:agents as uuid[])) "
    absent = "array(select distinct agent_id from p)" if all_agents else "cast(:agents as uuid[])"
    return text(
        "with p as (select p.* from plages p join lieux pl on pl.id = p.lieu_id and pl.deleted_at is null "
        "  where p.organisation_id = :org " + agents + "and :motif = any(p.motif_ids) "
        "  and (cast(:plage_lieu as uuid) is null or p.lieu_id = :plage_lieu) "
        "  and p.first_day <= :last and (p.last_day is null or p.last_day >= :first)), "
        "a as (select * from absences where agent_id = any(" + absent + ") "
        "  and first_day <= :last and (last_day is null or last_day >= :first)) "
        "select " + ", ".join(f"m.{c}" for c in _MOTIF_COLS) + ", " + ", ".join(f"l.{c}" for c in _LIEU_COLS) + ", "
        "(select json_agg(json_build_array(" + ", ".join(f"p.{c}" for c in _PLAGE_FIELDS) + ")) from p), "
        "(select json_agg(json_build_array(" + ", ".join(f"a.{c}" for c in _ABSENCE_FIELDS) + ")) from a) "
        "from motifs m left join lieux l on l.id = cast(:lieu as uuid) and l.organisation_id = :org "
        "and l.deleted_at is null "
        "where m.id = :motif and m.organisation_id = :org and m.deleted_at is null")


_CHECK_INPUTS_OF_AGENTS, _CHECK_INPUTS_OF_ALL = _check_inputs(all_agents=False), _check_inputs(all_agents=True)


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


def _json_plage(r: list) -> Plage:
    return Plage(_uuid(r[0]), _uuid(r[1]), _uuid(r[2]), _uuid(r[3]), [_uuid(m) for m in r[4]], r[5],
                 date.fromisoformat(r[6]), time.fromisoformat(r[7]), time.fromisoformat(r[8]),
                 _recurrence_text(r[9]), r[10])


def _json_absence(r: list) -> Absence:
    return Absence(_uuid(r[0]), _uuid(r[1]), _uuid(r[2]), r[3], date.fromisoformat(r[4]), time.fromisoformat(r[5]),
                   date.fromisoformat(r[6]), time.fromisoformat(r[7]), _recurrence_text(r[8]), r[9])


class CatalogueRepository:
    """Lieux and motifs of the availability database, through one unit of work (`uow.catalogue`)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def add_lieu(self, *, lieu: Lieu) -> None:
        await self._uow.execute(insert(lieux).values(**{c: getattr(lieu, c) for c in _LIEU_COLS}))

    async def save_lieu(self, *, lieu: Lieu) -> None:
        await self._uow.execute(update(lieux).where(lieux.c.id == lieu.id).values(
            **{c: getattr(lieu, c) for c in _LIEU_COLS[2:]}, updated_at=func.now()))

    async def get_lieu(self, *, organisation_id: uuid.UUID, lieu_id: uuid.UUID) -> Lieu | None:
        row = (await self._uow.execute(_GET_LIEU, {"lieu_id": lieu_id, "org": organisation_id})).first()
        return _lieu(row) if row else None

    async def list_lieux(self, *, organisation_id: uuid.UUID, page: int,
                         per_page: int) -> tuple[list[Lieu], int]:
        cond = and_(lieux.c.organisation_id == organisation_id, lieux.c.deleted_at.is_(None))
        return await _page(self._uow, lieux, cond, [lieux.c.name, lieux.c.id], page, per_page, _lieu)

    async def delete_lieu(self, *, lieu_id: uuid.UUID) -> None:
        await self._uow.execute(update(lieux).where(lieux.c.id == lieu_id).values(deleted_at=func.now()))

    async def add_motif(self, *, motif: Motif) -> None:
        await self._uow.execute(insert(motifs).values(**{c: getattr(motif, c) for c in _MOTIF_COLS}))

    async def save_motif(self, *, motif: Motif) -> None:
        await self._uow.execute(update(motifs).where(motifs.c.id == motif.id).values(
            **{c: getattr(motif, c) for c in _MOTIF_COLS[2:]}, updated_at=func.now()))

    async def get_motif(self, *, organisation_id: uuid.UUID, motif_id: uuid.UUID) -> Motif | None:
        row = (await self._uow.execute(_GET_MOTIF, {"motif_id": motif_id, "org": organisation_id})).first()
        return _motif(row) if row else None

    async def list_motifs(self, *, organisation_id: uuid.UUID, page: int, per_page: int,
                          service_id: uuid.UUID | None = None) -> tuple[list[Motif], int]:
        cond = and_(motifs.c.organisation_id == organisation_id, motifs.c.deleted_at.is_(None),
                    *( [motifs.c.service_id == service_id] if service_id else []))
        return await _page(self._uow, motifs, cond, [motifs.c.name, motifs.c.id], page, per_page, _motif)

    async def delete_motif(self, *, motif_id: uuid.UUID) -> None:
        await self._uow.execute(update(motifs).where(motifs.c.id == motif_id).values(deleted_at=func.now()))


class AgendaRepository:
    """Plages and absences, and the reads of a search or a check, through one unit of work (`uow.agenda`)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def add_plage(self, *, plage: Plage) -> None:
        await self._uow.execute(insert(plages).values(**_plage_values(plage)))

    async def save_plage(self, *, plage: Plage) -> None:
        values = _plage_values(plage)
        values.pop("id")
        await self._uow.execute(update(plages).where(plages.c.id == plage.id).values(**values, updated_at=func.now()))

    async def get_plage(self, *, organisation_id: uuid.UUID, plage_id: uuid.UUID) -> Plage | None:
        row = (await self._uow.execute(select(plages).where(
            plages.c.id == plage_id, plages.c.organisation_id == organisation_id))).first()
        return _plage(row) if row else None

    async def list_plages(self, *, organisation_id: uuid.UUID, agent_id: uuid.UUID | None,
                          page: int, per_page: int, lieu_id: uuid.UUID | None = None) -> tuple[list[Plage], int]:
        cond = and_(plages.c.organisation_id == organisation_id,
                    *([plages.c.agent_id == agent_id] if agent_id else []),
                    *([plages.c.lieu_id == lieu_id] if lieu_id else []))
        return await _page(self._uow, plages, cond, [plages.c.first_day, plages.c.start_time, plages.c.id],
                           page, per_page, _plage)

    async def plages_of_agents(self, *, organisation_id: uuid.UUID,
                               agent_ids: list[uuid.UUID]) -> list[Plage]:
        rows = (await self._uow.execute(select(plages).where(
            plages.c.organisation_id == organisation_id, plages.c.agent_id.in_(agent_ids)))).all()
        return [_plage(r) for r in rows]

    async def delete_plage(self, *, plage_id: uuid.UUID) -> None:
        await self._uow.execute(delete(plages).where(plages.c.id == plage_id))

    async def add_absence(self, *, absence: Absence) -> None:
        await self._uow.execute(insert(absences).values(**_absence_values(absence)))

    async def save_absence(self, *, absence: Absence) -> None:
        values = _absence_values(absence)
        values.pop("id")
        await self._uow.execute(update(absences).where(absences.c.id == absence.id)
                              .values(**values, updated_at=func.now()))

    async def get_absence(self, *, organisation_id: uuid.UUID,
                          absence_id: uuid.UUID) -> Absence | None:
        row = (await self._uow.execute(select(absences).where(
            absences.c.id == absence_id, absences.c.organisation_id == organisation_id))).first()
        return _absence(row) if row else None

    async def list_absences(self, *, organisation_id: uuid.UUID, agent_id: uuid.UUID | None,
                            page: int, per_page: int) -> tuple[list[Absence], int]:
        cond = and_(absences.c.organisation_id == organisation_id,
                    *([absences.c.agent_id == agent_id] if agent_id else []))
        return await _page(self._uow, absences, cond, [absences.c.first_day, absences.c.start_time, absences.c.id],
                           page, per_page, _absence)

    async def delete_absence(self, *, absence_id: uuid.UUID) -> None:
        await self._uow.execute(delete(absences).where(absences.c.id == absence_id))

    async def plages_for_search(self, *, organisation_id: uuid.UUID,
                                motif_id: uuid.UUID, agent_ids: list[uuid.UUID] | None, lieu_id: uuid.UUID | None,
                                first: date, last: date) -> list[Plage]:
        """Plages offering the motif (at the lieu) of these agents (None = all) active on first..last."""
        rows = (await self._uow.execute(_SEARCH_PLAGES, {
            "org": organisation_id, "motif": motif_id, "all_agents": agent_ids is None, "agents": agent_ids or [],
            "lieu": lieu_id, "first": first, "last": last})).all()
        return [Plage(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], _recurrence_text(r[9]), r[10])
                for r in rows]

    async def absences_for_agents(self, *, agent_ids: list[uuid.UUID], first: date,
                                  last: date) -> list[Absence]:
        """Absences of these agents (every organisation) touching the days first..last."""
        if not agent_ids:
            return []
        rows = (await self._uow.execute(_SEARCH_ABSENCES, {"agents": agent_ids, "first": first, "last": last})).all()
        return [Absence(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], _recurrence_text(r[8]), r[9]) for r in rows]

    async def check_inputs(self, *, organisation_id: uuid.UUID, motif_id: uuid.UUID, lieu_id: uuid.UUID | None,
                           agent_ids: list[uuid.UUID] | None, plage_lieu_id: uuid.UUID | None,
                           first: date, last: date) -> tuple[Motif | None, Lieu | None, list[Plage], list[Absence]]:
        """The motif, the lieu, the plages (as `plages_for_search`) and the absences of their agents (of
        `agent_ids`, or of the plages' agents when None) on first..last, in one round trip.

        The motif is None when unknown (then nothing else is read); the lieu is None when unknown or not asked.
        """
        params = {"org": organisation_id, "motif": motif_id, "lieu": lieu_id, "plage_lieu": plage_lieu_id,
                  "first": first, "last": last}
        if agent_ids is None:
            statement = _CHECK_INPUTS_OF_ALL
        else:
            statement, params["agents"] = _CHECK_INPUTS_OF_AGENTS, agent_ids
        row = (await self._uow.execute(statement, params)).first()
        if row is None:
            return None, None, [], []
        n, k = len(_MOTIF_COLS), len(_LIEU_COLS)
        motif = Motif(*row[:n])
        lieu = Lieu(*row[n:n + k]) if row[n] is not None else None
        plages_json, absences_json = row[n + k], row[n + k + 1]
        return (motif, lieu, [_json_plage(r) for r in plages_json or ()],
                [_json_absence(r) for r in absences_json or ()])
