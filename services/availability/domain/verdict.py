"""Why a given start is (not) free: the explanation for agents, and booking's check."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from services.availability.domain.intervals import overlaps
from services.availability.domain.model import Absence, BusyRdv, Plage
from services.availability.domain.occurrences import absence_occurrences, day_start, plage_occurrences


@dataclass(frozen=True)
class Reason:
    code: str  # past | outside_opening | absence | holiday | rdv
    message: str  # French
    ref: dict = field(default_factory=dict)


def local_day(instant: int, zone: str) -> date:
    from shared.timeutil import local_day as _local_day

    return _local_day(datetime.fromtimestamp(instant, timezone.utc), zone)


def containing_plage(plages: list[Plage], start: int, end: int, zone: str,
                     lieu_id: uuid.UUID | None = None) -> Plage | None:
    """A plage (at that lieu, if given) with an occurrence holding [start, end), else None."""
    day = local_day(start, zone)
    for plage in plages:
        if lieu_id is not None and plage.lieu_id != lieu_id:
            continue
        for o in plage_occurrences(plage, day - timedelta(days=1), day + timedelta(days=1)):
            if o.start <= start and end <= o.end:
                return plage
    return None


def absences_over(absences: list[Absence], start: int, end: int, zone: str) -> list[Absence]:
    first, last = local_day(start, zone) - timedelta(days=1), local_day(end, zone) + timedelta(days=1)
    return [a for a in absences
            if any(overlaps((o.start, o.end), (start, end)) for o in absence_occurrences(a, first, last))]


def holidays_over(holidays: dict[date, str], start: int, end: int, zone: str) -> list[tuple[date, str]]:
    out = []
    for day, name in sorted(holidays.items()):
        if overlaps((day_start(day, zone), day_start(day + timedelta(days=1), zone)), (start, end)):
            out.append((day, name))
    return out


def explain(*, organisation_id: uuid.UUID, plages: list[Plage], absences: list[Absence],
            busy: list[BusyRdv], holidays: dict[date, str], zone: str, start: int, end: int,
            now: float) -> list[Reason]:
    """Every reason why [start, end) is not a free créneau of this agent (empty: free)."""
    reasons: list[Reason] = []
    if start < now:
        reasons.append(Reason("past", "dans le passé"))
    if containing_plage(plages, start, end, zone) is None:
        reasons.append(Reason("outside_opening", "en dehors de toute plage d'ouverture"))
    for absence in absences_over(absences, start, end, zone):
        title = absence.title if absence.organisation_id == organisation_id else "indisponibilité"
        reasons.append(Reason("absence", f"absence {title}", {"absence_id": str(absence.id)}
                              if absence.organisation_id == organisation_id else {}))
    for day, name in holidays_over(holidays, start, end, zone):
        reasons.append(Reason("holiday", f"jour férié {name}", {"day": day.isoformat(), "name": name}))
    for rdv in busy:
        if rdv.active and overlaps((int(rdv.starts_at.timestamp()), int(rdv.ends_at.timestamp())), (start, end)):
            reasons.append(Reason("rdv", f"RDV {rdv.id}", {"rdv_id": str(rdv.id)}))
    return reasons


def check(*, plages: list[Plage], absences: list[Absence], holidays: dict[date, str], zone: str,
          start: int, end: int, lieu_id: uuid.UUID | None) -> Reason | None:
    """Booking's check for one agent: None when open, else the first reason (holiday first)."""
    found = refusals(plages=plages, absences=absences, holidays=holidays, zone=zone, start=start, end=end,
                     lieu_id=lieu_id, first_only=True)
    return found[0] if found else None


def refusals(*, plages: list[Plage], absences: list[Absence], holidays: dict[date, str], zone: str,
             start: int, end: int, lieu_id: uuid.UUID | None, first_only: bool = False) -> list[Reason]:
    """Every reason booking's check refuses [start, end) for one agent: holiday, outside_opening, agent_absent."""
    found: list[Reason] = []
    for day, name in holidays_over(holidays, start, end, zone):
        found.append(Reason("holiday", f"Le {day.strftime('%d/%m/%Y')} est un jour férié ({name}).",
                            {"day": day.isoformat(), "name": name}))
        break
    if found and first_only:
        return found
    if containing_plage(plages, start, end, zone, lieu_id) is None:
        found.append(Reason("outside_opening", "Ce créneau n'est pas dans une plage d'ouverture de l'agent "
                                               "pour ce motif et ce lieu."))
        if first_only:
            return found
    absent = absences_over(absences, start, end, zone)
    if absent:
        found.append(Reason("agent_absent", "L'agent est indisponible à ce moment-là.",
                            {"absence_ids": [str(a.id) for a in absent]}))
    return found
