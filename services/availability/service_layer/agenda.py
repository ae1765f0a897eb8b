"""The calendar view of one agent: plage and absence occurrences, holidays and RDVs."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from services.availability.domain import jours_feries
from services.availability.domain.model import BusyRdv
from services.availability.domain.occurrences import Occurrence, absence_occurrences, day_start, plage_occurrences
from services.availability.service_layer.creneaux import holiday_rules
from services.availability.service_layer.rules import window
from services.availability.service_layer.unit_of_work import unit_of_work
from shared.db import Database
from shared.identity import Identity


@dataclass
class Agenda:
    plages: list[Occurrence]
    absences: list[Occurrence]
    holidays: dict[date, str]
    rdvs: list[BusyRdv]


async def agenda(*, db: Database, identity: Identity, agent_id: uuid.UUID, first: date, last: date) -> Agenda:
    """Occurrences of the agent's plages and absences, holidays and RDVs on the days first..last."""
    identity.require_agent()
    window(first, last)
    zone = identity.timezone
    start = day_start(first, zone)
    end = day_start(last + timedelta(days=1), zone)
    async with unit_of_work(db) as uow:
        plages, _ = await uow.agenda.list_plages(organisation_id=identity.organisation_id, agent_id=agent_id,
                                                 page=1, per_page=10_000)
        absences = await uow.agenda.absences_for_agents(agent_ids=[agent_id], first=first, last=last)
        rdvs = await uow.busy.busy_rdvs_of(agent_ids=[agent_id], start=datetime.fromtimestamp(start, timezone.utc),
                                           end=datetime.fromtimestamp(end, timezone.utc), active_only=False)
    plage_occ = sorted((o for p in plages for o in plage_occurrences(p, first, last)), key=lambda o: o.start)
    absence_occ = sorted((o for a in absences for o in absence_occurrences(a, first, last)
                          if o.end > start and o.start < end), key=lambda o: o.start)
    return Agenda(plage_occ, absence_occ, jours_feries.between(first, last, *holiday_rules(identity)),
                  [r for r in rdvs if r.organisation_id == identity.organisation_id])
