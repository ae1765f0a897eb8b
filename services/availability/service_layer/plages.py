"""Use cases for plages d'ouverture (the agent for themself, or an admin)."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from services.availability.domain import recurrence as rec_mod
from services.availability.domain.intervals import overlaps
from services.availability.domain.model import BusyRdv, Plage
from services.availability.service_layer import views
from services.availability.service_layer.orphans import rdvs_orphaned
from services.availability.service_layer.rules import can_manage, lieu_of, motif_of
from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork
from shared.errors import NotFound
from shared.events import PlageData, new_event
from shared.identity import Identity

OVERLAP_HORIZON_DAYS = 3 * 366


async def create_plage(*, uow: AvailabilityUnitOfWork, identity: Identity, fields: dict) -> tuple[Plage, list[str]]:
    """Create a plage; overlapping another plage of the agent is accepted with a warning."""
    agent_id = fields.pop("agent_id", None) or identity.agent_id
    can_manage(identity, agent_id)
    plage = Plage(id=uuid.uuid4(), organisation_id=identity.organisation_id, agent_id=agent_id,
                  recurrence=rec_mod.parse(fields.pop("recurrence", None)), timezone=identity.timezone,
                  **fields)
    plage.check()
    await _check_references(uow, identity, plage)
    await uow.agenda.add_plage(plage=plage)
    warnings = await overlap_warnings(uow=uow, plage=plage)
    uow.publish(new_event("availability.plage.created", organisation_id=identity.organisation_id,
                          data=PlageData(plage=views.plage(plage)), actor=identity.actor()))
    await uow.commit()
    return plage, warnings


async def get_plage(*, uow: AvailabilityUnitOfWork, identity: Identity, plage_id: uuid.UUID) -> Plage:
    found = await uow.agenda.get_plage(organisation_id=identity.organisation_id, plage_id=plage_id)
    if found is None:
        raise NotFound("Plage d'ouverture introuvable.")
    can_manage(identity, found.agent_id)
    return found


async def update_plage(*, uow: AvailabilityUnitOfWork, identity: Identity, plage_id: uuid.UUID, changes: dict,
                       dry_run: bool = False) -> tuple[Plage, list[str], list[BusyRdv]]:
    """Change a plage (`dry_run`: say what it would be and which RDVs it would orphan, change nothing)."""
    before = plage = await get_plage(uow=uow, identity=identity, plage_id=plage_id)
    if "recurrence" in changes:
        changes["recurrence"] = rec_mod.parse(changes["recurrence"])
    if changes.get("agent_id") is None:
        changes.pop("agent_id", None)
    plage = replace(plage, **changes)
    plage.check()
    can_manage(identity, plage.agent_id)
    await _check_references(uow, identity, plage)
    orphaned = await rdvs_orphaned(uow=uow, before=before, after=plage)
    warnings = await overlap_warnings(uow=uow, plage=plage)
    if dry_run:
        return plage, warnings, orphaned
    await uow.agenda.save_plage(plage=plage)
    uow.publish(new_event("availability.plage.updated", organisation_id=identity.organisation_id,
                          data=PlageData(plage=views.plage(plage)), actor=identity.actor()))
    await uow.commit()
    return plage, warnings, orphaned


async def delete_plage(*, uow: AvailabilityUnitOfWork, identity: Identity, plage_id: uuid.UUID,
                       dry_run: bool = False) -> list[BusyRdv]:
    """Delete a plage (`dry_run`: only answer the RDVs to come it would orphan)."""
    plage = await get_plage(uow=uow, identity=identity, plage_id=plage_id)
    if dry_run:
        return await rdvs_orphaned(uow=uow, before=plage, after=None)
    await uow.agenda.delete_plage(plage_id=plage.id)
    uow.publish(new_event("availability.plage.deleted", organisation_id=identity.organisation_id,
                          data=PlageData(plage=views.plage(plage)), actor=identity.actor()))
    await uow.commit()
    return []


async def list_plages(*, uow: AvailabilityUnitOfWork, identity: Identity, agent_id: uuid.UUID | None, page: int,
                      per_page: int, lieu_id: uuid.UUID | None = None) -> tuple[list[Plage], int]:
    """List plages (a basic agent: their own)."""
    identity.require_agent()
    if not identity.is_admin:
        can_manage(identity, agent_id or identity.agent_id)  # type: ignore[arg-type]
        agent_id = identity.agent_id
    return await uow.agenda.list_plages(organisation_id=identity.organisation_id,
                                        agent_id=agent_id, page=page, per_page=per_page, lieu_id=lieu_id)


async def _check_references(uow: AvailabilityUnitOfWork, identity: Identity, plage: Plage) -> None:
    await lieu_of(uow, identity, plage.lieu_id)
    for motif_id in dict.fromkeys(plage.motif_ids):
        await motif_of(uow, identity, motif_id)


async def overlap_warnings(*, uow: AvailabilityUnitOfWork, plage: Plage) -> list[str]:
    """French warnings for each other plage of the agent that shares at least one moment."""
    return (await warnings_of(uow=uow, plages=[plage]))[plage.id]


async def warnings_of(*, uow: AvailabilityUnitOfWork, plages: list[Plage]) -> dict[uuid.UUID, list[str]]:
    """Overlap warnings of several plages, with one query for all their agents."""
    if not plages:
        return {}
    others = await uow.agenda.plages_of_agents(organisation_id=plages[0].organisation_id,
                                               agent_ids=list({p.agent_id for p in plages}))
    return {p.id: _warnings(p, [o for o in others if o.agent_id == p.agent_id]) for p in plages}


def _warnings(plage: Plage, others: list[Plage]) -> list[str]:
    return [f"Cette plage chevauche la plage « {other.title} » ({views.hhmm(other.start_time)}–"
            f"{views.hhmm(other.end_time)}) du même agent."
            for other in others if other.id != plage.id and plages_overlap(plage, other)]


def plages_overlap(a: Plage, b: Plage) -> bool:
    """Whether two plages have a common moment (searched over three years at most)."""
    if not overlaps((a.start_time.hour * 60 + a.start_time.minute, a.end_time.hour * 60 + a.end_time.minute),
                    (b.start_time.hour * 60 + b.start_time.minute, b.end_time.hour * 60 + b.end_time.minute)):
        return False
    first = max(a.first_day, b.first_day)
    ends = [d for d in (a.last_day, b.last_day) if d is not None]
    last = min(ends + [first + timedelta(days=OVERLAP_HORIZON_DAYS)])
    if last < first:
        return False
    return bool(set(rec_mod.days(a.first_day, a.recurrence, first, last))
                & set(rec_mod.days(b.first_day, b.recurrence, first, last)))
