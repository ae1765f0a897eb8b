"""Use cases of changing an RDV: moving it (time, agents, lieu, duration, context) and setting its status.

Both re-read the RDV under a row lock and write it with its event in one transaction; a move
whose RDV changed meanwhile, or a deadlock PostgreSQL broke, is read and checked again.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from services.booking.adapters.availability import AvailabilityClient, CheckResult
from services.booking.domain.rdv import UNKNOWN, Rdv, RetryTransaction, SlotTaken, check_transition, normalise_ids
from services.booking.service_layer.checks import (TRANSACTION_ATTEMPTS, rdv_ends_at, refused, slot_taken,
                                                   tolerated, with_warnings)
from services.booking.service_layer.commands import ChangeRdv, ChangeRdvStatus
from services.booking.service_layer.reads import event_rdv, view_for, viewer_of, visible_rdv
from services.booking.service_layer.unit_of_work import unit_of_work
from services.booking.service_layer.views import changes_view
from shared import clock, events
from shared.db import Database
from shared.errors import Conflict, NotFound
from shared.identity import Identity
from shared.events import new_event
from shared.timeutil import local_day, today


def _moved(current: Rdv, command: ChangeRdv) -> Rdv:
    """The RDV as the command would leave it, before availability's check (which may set its end)."""
    wanted = command.changes
    starts_at = wanted.get("starts_at", current.starts_at)
    duration = wanted.get("duration_minutes") or current.duration_minutes
    return replace(current, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=duration),
                   agent_ids=normalise_ids(wanted["agent_ids"]) if "agent_ids" in wanted else current.agent_ids,
                   lieu_id=wanted["lieu_id"] if "lieu_id" in wanted else current.lieu_id,
                   context=wanted.get("context", current.context), version=current.version + 1)


async def _checked_move(availability: AvailabilityClient, identity: Identity, current: Rdv, after: Rdv,
                        allow: bool) -> tuple[Rdv, CheckResult | None]:
    """A new time, agents, lieu or duration is checked like a booking (which may set the end)."""
    if (after.starts_at, after.ends_at, after.agent_ids, after.lieu_id) == (
            current.starts_at, current.ends_at, current.agent_ids, current.lieu_id):
        return after, None
    duration = after.duration_minutes
    check = await availability.check(identity=identity, motif_id=current.motif_id, lieu_id=after.lieu_id,
                                     agent_ids=after.agent_ids, starts_at=after.starts_at,
                                     duration_minutes=duration, all_reasons=allow)
    if not tolerated(check, allow):
        raise refused(check)
    return replace(after, ends_at=rdv_ends_at(check, after.starts_at, duration)), check


async def _save_move(db: Database, identity: Identity, current: Rdv, after: Rdv, changes: dict) -> bool:
    """Write the move and its event if the RDV is still the version it was read at; False when it is not."""
    try:
        async with unit_of_work(db) as uow:
            locked = await uow.rdvs.get(organisation_id=identity.organisation_id, rdv_id=current.id,
                                        for_update=True)
            if locked is None or locked.version != current.version:
                return False  # changed meanwhile: read it again and redo the check
            await uow.rdvs.save(rdv=after, updated_at=clock.now(),
                                agents_changed=after.agent_ids != current.agent_ids,
                                previous_agent_ids=current.agent_ids)
            uow.publish(new_event("booking.rdv.updated", organisation_id=after.organisation_id,
                                  actor=identity.actor(),
                                  data=events.RdvUpdatedData(rdv=event_rdv(after, identity), changes=changes)))
            await uow.commit()
    except RetryTransaction:
        return False  # a deadlock broken by PostgreSQL: read again and redo
    except SlotTaken:
        raise await slot_taken(db, organisation_id=after.organisation_id, agent_ids=after.agent_ids,
                                starts_at=after.starts_at, ends_at=after.ends_at, rdv_id=after.id) from None
    return True


async def change_rdv(*, db: Database, availability: AvailabilityClient, identity: Identity,
                     command: ChangeRdv, attempts: int = TRANSACTION_ATTEMPTS) -> dict:
    """Move or change an RDV; a new time, agents, lieu or duration is checked like a booking."""
    allow = command.allow_outside_opening
    for _ in range(attempts):
        current = await visible_rdv(db, identity, command.rdv_id)
        after, check = await _checked_move(availability, identity, current, _moved(current, command), allow)
        changes = changes_view(current, after, zone=identity.timezone)
        if not changes:
            return with_warnings(view_for(current, identity), allow, check)
        if await _save_move(db, identity, current, after, changes):
            return with_warnings(view_for(after, identity), allow, check)
    raise Conflict("Le rendez-vous a été modifié en même temps par quelqu'un d'autre. Réessayez.",
                   code="concurrent_update")


async def change_rdv_status(*, db: Database, identity: Identity, command: ChangeRdvStatus) -> dict:
    """Set the outcome of an RDV (honoré, absence, annulé) or reset it, as the contract allows."""
    for _ in range(TRANSACTION_ATTEMPTS - 1):
        try:
            return await _change_status_once(db, identity, command)
        except RetryTransaction:
            continue  # a deadlock broken by PostgreSQL: run it again
    try:
        return await _change_status_once(db, identity, command)
    except RetryTransaction:
        raise Conflict("Ce créneau est disputé ; réessayez.", code="slot_taken", details={"rdv_id": None}) from None


async def _change_status_once(db: Database, identity: Identity, command: ChangeRdvStatus) -> dict:
    viewer = viewer_of(identity)
    zone = identity.timezone
    try:
        async with unit_of_work(db) as uow:
            rdv = await uow.rdvs.get(organisation_id=identity.organisation_id, rdv_id=command.rdv_id,
                                     for_update=True)
            if rdv is None or not rdv.visible_to(viewer):
                raise NotFound("Rendez-vous introuvable.")
            if rdv.status == command.status == UNKNOWN:
                return view_for(rdv, identity)
            check_transition(rdv.status, command.status, rdv_day=local_day(rdv.starts_at, zone),
                             today=today(zone))
            now = clock.now()
            after = rdv.with_status(command.status, at=now)
            # Back to an active status: the exclusion constraint checks the slot again.
            await uow.rdvs.save(rdv=after, updated_at=now, agents_changed=False)
            await uow.rdvs.record_status_change(rdv=after, previous_status=rdv.status, changed_at=now,
                                                changed_by=identity.agent_id)
            uow.publish(new_event("booking.rdv.status_changed", organisation_id=after.organisation_id,
                                  actor=identity.actor(), data=events.RdvStatusChangedData(
                                      rdv=event_rdv(after, identity), previous_status=rdv.status)))
            await uow.commit()
    except SlotTaken:
        raise await slot_taken(db, organisation_id=rdv.organisation_id, agent_ids=rdv.agent_ids,
                                starts_at=rdv.starts_at, ends_at=rdv.ends_at, rdv_id=rdv.id) from None
    return view_for(after, identity)
