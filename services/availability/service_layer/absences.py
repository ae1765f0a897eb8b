"""Use cases for absences (indisponibilités): the agent for themself, or an admin.

RDVs inside a new absence are NOT cancelled: the answer and the event list them
(`rdvs_in_conflict`) so the agent can cancel them by hand.
"""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

from services.availability.domain import recurrence as rec_mod
from services.availability.domain.intervals import overlaps
from services.availability.domain.model import Absence, BusyRdv
from services.availability.domain.occurrences import absence_occurrences, instant
from services.availability.service_layer import views
from services.availability.service_layer.rules import can_manage
from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork
from shared.errors import NotFound
from shared.events import AbsenceData, new_event
from shared.identity import Identity
from shared.timeutil import local_day


async def create_absence(*, uow: AvailabilityUnitOfWork, identity: Identity,
                         fields: dict) -> tuple[Absence, list[BusyRdv]]:
    """Create an absence; answer the active RDVs of the agent inside it."""
    agent_id = fields.pop("agent_id", None) or identity.agent_id
    can_manage(identity, agent_id)
    if fields.get("end_day") is None:
        fields["end_day"] = fields["first_day"]
    absence = Absence(id=uuid.uuid4(), organisation_id=identity.organisation_id, agent_id=agent_id,
                      recurrence=rec_mod.parse(fields.pop("recurrence", None)), timezone=identity.timezone,
                      **fields)
    absence.check()
    await uow.agenda.add_absence(absence=absence)
    conflicts = await rdvs_in_conflict(uow=uow, absence=absence)
    uow.publish(_event(identity, "availability.absence.created", absence, conflicts))
    await uow.commit()
    return absence, conflicts


async def get_absence(*, uow: AvailabilityUnitOfWork, identity: Identity, absence_id: uuid.UUID) -> Absence:
    found = await uow.agenda.get_absence(organisation_id=identity.organisation_id,
                                         absence_id=absence_id)
    if found is None:
        raise NotFound("Indisponibilité introuvable.")
    can_manage(identity, found.agent_id)
    return found


async def update_absence(*, uow: AvailabilityUnitOfWork, identity: Identity, absence_id: uuid.UUID,
                         changes: dict) -> tuple[Absence, list[BusyRdv]]:
    """Change an absence."""
    absence = await get_absence(uow=uow, identity=identity, absence_id=absence_id)
    if "recurrence" in changes:
        changes["recurrence"] = rec_mod.parse(changes["recurrence"])
    for key in ("agent_id", "end_day"):
        if key in changes and changes[key] is None:
            changes.pop(key)
    absence = replace(absence, **changes)
    absence.check()
    can_manage(identity, absence.agent_id)
    await uow.agenda.save_absence(absence=absence)
    conflicts = await rdvs_in_conflict(uow=uow, absence=absence)
    uow.publish(_event(identity, "availability.absence.updated", absence, conflicts))
    await uow.commit()
    return absence, conflicts


async def delete_absence(*, uow: AvailabilityUnitOfWork, identity: Identity, absence_id: uuid.UUID) -> None:
    """Delete an absence."""
    absence = await get_absence(uow=uow, identity=identity, absence_id=absence_id)
    await uow.agenda.delete_absence(absence_id=absence.id)
    uow.publish(_event(identity, "availability.absence.deleted", absence, []))
    await uow.commit()


async def list_absences(*, uow: AvailabilityUnitOfWork, identity: Identity, agent_id: uuid.UUID | None, page: int,
                        per_page: int) -> tuple[list[tuple[Absence, list[BusyRdv]]], int]:
    """List absences (a basic agent: their own), each with its RDVs in conflict."""
    identity.require_agent()
    if not identity.is_admin:
        can_manage(identity, agent_id or identity.agent_id)  # type: ignore[arg-type]
        agent_id = identity.agent_id
    items, total = await uow.agenda.list_absences(organisation_id=identity.organisation_id,
                                                  agent_id=agent_id, page=page, per_page=per_page)
    return [(a, await rdvs_in_conflict(uow=uow, absence=a)) for a in items], total


async def rdvs_in_conflict(*, uow: AvailabilityUnitOfWork, absence: Absence) -> list[BusyRdv]:
    """Active RDVs of the absence's agent that overlap one of its occurrences."""
    start = instant(absence.first_day, absence.start_time, absence.timezone)
    end = None
    if absence.last_day is not None:
        end = instant(absence.last_day + timedelta(days=1), time(0), absence.timezone)
    rdvs = await uow.busy.busy_rdvs_of(agent_ids=[absence.agent_id],
                                       start=datetime.fromtimestamp(start, timezone.utc),
                                       end=datetime.fromtimestamp(end, timezone.utc) if end else None)
    if not rdvs:
        return []
    first = local_day(rdvs[0].starts_at, absence.timezone) - timedelta(days=1)
    last = local_day(max(r.ends_at for r in rdvs), absence.timezone) + timedelta(days=1)
    occurrences = [(o.start, o.end) for o in absence_occurrences(absence, first, last)]
    return [r for r in rdvs
            if any(overlaps(o, (int(r.starts_at.timestamp()), int(r.ends_at.timestamp()))) for o in occurrences)]


def _event(identity: Identity, kind: str, absence: Absence, conflicts: list[BusyRdv]):
    return new_event(kind, organisation_id=identity.organisation_id, actor=identity.actor(),
                     data=AbsenceData(absence=views.absence(absence), rdv_ids_in_conflict=[r.id for r in conflicts]))
