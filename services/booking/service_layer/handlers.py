"""Use cases of the booking service: book, change, change status, read, list.

Writes follow one path: availability's check first (outside any transaction), then one
transaction that writes under the exclusion constraint and the outbox together (for a create,
a single statement). A create whose start lies in an active RDV of its agents is refused first.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from services.booking.adapters.availability import AvailabilityClient, CheckResult
from services.booking.domain.rdv import (UNKNOWN, DuplicateIdempotencyKey, Rdv, RdvFilters, RetryTransaction,
                                         SlotTaken, Viewer, check_transition, normalise_ids)
from services.booking.service_layer.commands import BookPublicRdv, BookRdv, ChangeRdv, ChangeRdvStatus
from services.booking.service_layer.unit_of_work import unit_of_work
from services.booking.service_layer.views import changes_view, rdv_event_view, rdv_view
from shared import clock, events
from shared.db import Database
from shared.errors import AppError, Conflict, Forbidden, NotFound
from shared.events import new_event
from shared.identity import Identity
from shared.timeutil import local_day, today

# Refusals of availability's check that `allow_outside_opening` turns into warnings (slot_taken never is one).
TOLERABLE = frozenset({"outside_opening", "agent_absent", "holiday"})


def viewer_of(identity: Identity) -> Viewer:
    """Agents see by role; the platform itself (`system`) sees the organisation."""
    if identity.kind == "public":
        raise Forbidden("Cette action est réservée aux agents.")
    return Viewer(organisation_id=identity.organisation_id, agent_id=identity.agent_id,
                  is_admin=identity.is_admin or identity.kind == "system",
                  service_ids=frozenset(identity.service_ids))


def _view(rdv: Rdv, identity: Identity) -> dict:
    view = rdv_view(rdv, zone=identity.timezone, today=today(identity.timezone))
    if identity.kind == "public":
        view["allowed_statuses"] = []  # an usager booking online cannot set a status
    return view


def _event_rdv(rdv: Rdv, identity: Identity) -> events.Rdv:
    return events.Rdv(**rdv_event_view(rdv, zone=identity.timezone, today=today(identity.timezone)))


def _tolerated(check: CheckResult, allow_outside_opening: bool) -> bool:
    return check.ok or (allow_outside_opening and check.code in TOLERABLE)


def _warnings(check: CheckResult | None) -> list[str]:
    """The codes of every refusal an agent chose to override (`[]` when the check passed or did not run)."""
    if check is None or check.ok:
        return []
    return list(dict.fromkeys(check.reasons or (check.code or "outside_opening",)))


def _with_warnings(view: dict, allow_outside_opening: bool, check: CheckResult | None) -> dict:
    """A create or move asked with `allow_outside_opening` answers `warnings` (maybe `[]`); else as before."""
    return {**view, "warnings": _warnings(check)} if allow_outside_opening else view


def _refused(check: CheckResult) -> Conflict:
    return Conflict(check.message or "Ce créneau n'est pas ouvert à la réservation.",
                    code=check.code or "outside_opening", details=check.details)


def _taken(organisation_id, found: tuple[uuid.UUID, uuid.UUID] | None) -> Conflict:
    # Another organisation's RDV (an agent working for two organisations) stays anonymous.
    conflicting = str(found[0]) if found and found[1] == organisation_id else None
    return Conflict("Ce créneau est déjà pris : l'un des agents a déjà un rendez-vous à ce moment-là.",
                    code="slot_taken", details={"rdv_id": conflicting})


async def _slot_taken(db: Database, *, organisation_id, agent_ids, starts_at, ends_at, rdv_id=None) -> Conflict:
    """Name the RDV that holds the slot (looked up after the constraint refused ours)."""
    async with unit_of_work(db, autocommit=True) as uow:
        found = await uow.rdvs.find_conflict(agent_ids=agent_ids, starts_at=starts_at, ends_at=ends_at,
                                             exclude_rdv_id=rdv_id)
    return _taken(organisation_id, found)


async def _taken_early(db: Database, identity: Identity, command: BookRdv, agent_ids) -> None:
    """Refuse at once a create whose start lies in an active RDV of one of its agents.

    Half of a busy day's creates fight for slots already booked: this read answers them before
    availability's check and the insert. It only ever answers what the full path would (the
    exclusion constraint stays the arbiter for every create it lets through).
    """
    async with unit_of_work(db, autocommit=True) as uow:
        found = await uow.rdvs.taken_at(organisation_id=identity.organisation_id, agent_ids=agent_ids,
                                        starts_at=command.starts_at, motif_id=command.motif_id,
                                        lieu_id=command.lieu_id, idempotency_key=command.idempotency_key)
    if found is not None:
        raise _taken(identity.organisation_id, found)


def _request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


async def _replay(db: Database, identity: Identity, key: str, request_hash: str) -> dict | None:
    """The RDV a previous request with this Idempotency-Key created, if any."""
    async with unit_of_work(db, autocommit=True) as uow:
        found = await uow.rdvs.by_idempotency_key(organisation_id=identity.organisation_id, key=key)
    if found is None:
        return None
    rdv, first_hash = found
    if first_hash and first_hash != request_hash:
        raise Conflict("Cette clé d'idempotence a déjà servi pour une autre demande.",
                       code="idempotency_key_reused", details={"rdv_id": str(rdv.id)})
    return _view(rdv, identity)


TRANSACTION_ATTEMPTS = 5


async def _check_or_replay(db: Database, identity: Identity, key: str | None, request_hash: str,
                           checking, *, allow_outside_opening: bool = False) -> CheckResult | dict:
    """Availability's verdict; when it refuses, a retried request gets the RDV its first try created.

    A retry of a create that went through meets the key's unique index at insert time
    (DuplicateIdempotencyKey) and is answered there, so the happy path reads nothing first;
    only a refusal (the slot may have closed since, or availability is down) looks the key up.
    """
    try:
        check = await checking
        if _tolerated(check, allow_outside_opening):
            return check
        refusal: AppError = _refused(check)
    except AppError as exc:
        refusal = exc
    if key:
        replayed = await _replay(db, identity, key, request_hash)
        if replayed is not None:
            return replayed
    raise refusal


async def _create(db: Database, identity: Identity, rdv: Rdv, *, key: str | None, request_hash: str) -> dict:
    """Write the RDV and its event in one statement (see `RdvRepository.add_with_event`), then wake the relay."""
    event = new_event("booking.rdv.created", organisation_id=rdv.organisation_id, actor=identity.actor(),
                      data=events.RdvCreatedData(rdv=_event_rdv(rdv, identity), origin=rdv.origin))
    try:
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                async with unit_of_work(db, autocommit=True) as uow:
                    await uow.rdvs.add_with_event(rdv=rdv, event=event, idempotency_key=key,
                                                  request_hash=request_hash)
                    await uow.commit()  # the statement committed itself; this wakes the relay
                break
            except RetryTransaction:
                if attempt == TRANSACTION_ATTEMPTS - 1:
                    raise SlotTaken("Ce créneau est disputé ; réessayez.") from None
    except SlotTaken:
        raise await _slot_taken(db, organisation_id=rdv.organisation_id, agent_ids=rdv.agent_ids,
                                starts_at=rdv.starts_at, ends_at=rdv.ends_at) from None
    except DuplicateIdempotencyKey:
        # A concurrent retry with the same key committed first: answer with its RDV.
        replayed = await _replay(db, identity, key or "", request_hash)
        if replayed is None:
            raise
        return replayed
    return _view(rdv, identity)


def _ends_at(check: CheckResult, starts_at: datetime, duration: int | None) -> datetime:
    if check.ends_at is not None:
        return check.ends_at
    return starts_at + timedelta(minutes=duration or check.duration_minutes or 0)


async def book_rdv(*, db: Database, availability: AvailabilityClient, identity: Identity,
                   command: BookRdv) -> dict:
    """Book an RDV for agents and usagers, if availability opens the slot and no agent is taken."""
    viewer_of(identity)
    agent_ids, usager_ids = normalise_ids(command.agent_ids), normalise_ids(command.usager_ids)
    await _taken_early(db, identity, command, agent_ids)
    hashed = {**command.__dict__, "idempotency_key": None, "starts_at": command.starts_at.astimezone(timezone.utc)}
    if not command.allow_outside_opening:
        del hashed["allow_outside_opening"]  # the hash of a plain create stays what it was before the flag
    request_hash = _request_hash(hashed)
    allow = command.allow_outside_opening
    check = await _check_or_replay(db, identity, command.idempotency_key, request_hash, availability.check(
        identity=identity, motif_id=command.motif_id, lieu_id=command.lieu_id, agent_ids=agent_ids,
        starts_at=command.starts_at, duration_minutes=command.duration_minutes, all_reasons=allow),
        allow_outside_opening=allow)
    if isinstance(check, dict):
        return _with_warnings(check, allow, None)
    now = clock.now()
    rdv = Rdv(id=uuid.uuid4(), organisation_id=identity.organisation_id, motif_id=command.motif_id,
              service_id=check.service_id, lieu_id=command.lieu_id, agent_ids=agent_ids,
              usager_ids=usager_ids, starts_at=command.starts_at,
              ends_at=_ends_at(check, command.starts_at, command.duration_minutes),
              status=UNKNOWN, context=command.context, origin="agent", created_at=now,
              created_by=identity.agent_id if identity.kind == "agent" else None,
              cancelled_at=None, version=1)
    created = await _create(db, identity, rdv, key=command.idempotency_key, request_hash=request_hash)
    return _with_warnings(created, allow, check)


async def book_public_rdv(*, db: Database, availability: AvailabilityClient, identity: Identity,
                          command: BookPublicRdv) -> dict:
    """Book an RDV an usager chose online: availability picks a free agent of a public créneau."""
    if identity.kind not in ("public", "system"):
        raise Forbidden("Cette adresse est réservée à la prise de rendez-vous en ligne.")
    request_hash = _request_hash({**command.__dict__, "idempotency_key": None,
                                  "starts_at": command.starts_at.astimezone(timezone.utc)})
    check = await _check_or_replay(db, identity, command.idempotency_key, request_hash, availability.check(
        identity=identity, motif_id=command.motif_id, lieu_id=command.lieu_id, agent_ids=(),
        starts_at=command.starts_at, duration_minutes=None, public=True))
    if isinstance(check, dict):
        return check
    if not check.agent_ids:
        raise Conflict("Ce créneau n'est plus disponible.", code="outside_opening")
    rdv = Rdv(id=uuid.uuid4(), organisation_id=identity.organisation_id, motif_id=command.motif_id,
              service_id=check.service_id, lieu_id=command.lieu_id, agent_ids=normalise_ids(check.agent_ids),
              usager_ids=(command.usager_id,), starts_at=command.starts_at,
              ends_at=_ends_at(check, command.starts_at, None), status=UNKNOWN, context=None,
              origin="usager", created_at=clock.now(), created_by=None, cancelled_at=None, version=1)
    return await _create(db, identity, rdv, key=command.idempotency_key, request_hash=request_hash)


async def _visible(db: Database, identity: Identity, rdv_id: uuid.UUID) -> Rdv:
    viewer = viewer_of(identity)
    async with unit_of_work(db, autocommit=True) as uow:
        rdv = await uow.rdvs.get(organisation_id=identity.organisation_id, rdv_id=rdv_id)
    if rdv is None or not rdv.visible_to(viewer):
        raise NotFound("Rendez-vous introuvable.")
    return rdv


async def get_rdv(*, db: Database, identity: Identity, rdv_id: uuid.UUID) -> dict:
    """Read one RDV the caller may see."""
    return _view(await _visible(db, identity, rdv_id), identity)


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
    if not _tolerated(check, allow):
        raise _refused(check)
    return replace(after, ends_at=_ends_at(check, after.starts_at, duration)), check


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
                                  data=events.RdvUpdatedData(rdv=_event_rdv(after, identity), changes=changes)))
            await uow.commit()
    except RetryTransaction:
        return False  # a deadlock broken by PostgreSQL: read again and redo
    except SlotTaken:
        raise await _slot_taken(db, organisation_id=after.organisation_id, agent_ids=after.agent_ids,
                                starts_at=after.starts_at, ends_at=after.ends_at, rdv_id=after.id) from None
    return True


async def change_rdv(*, db: Database, availability: AvailabilityClient, identity: Identity,
                     command: ChangeRdv, attempts: int = TRANSACTION_ATTEMPTS) -> dict:
    """Move or change an RDV; a new time, agents, lieu or duration is checked like a booking."""
    allow = command.allow_outside_opening
    for _ in range(attempts):
        current = await _visible(db, identity, command.rdv_id)
        after, check = await _checked_move(availability, identity, current, _moved(current, command), allow)
        changes = changes_view(current, after, zone=identity.timezone)
        if not changes:
            return _with_warnings(_view(current, identity), allow, check)
        if await _save_move(db, identity, current, after, changes):
            return _with_warnings(_view(after, identity), allow, check)
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
                return _view(rdv, identity)
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
                                      rdv=_event_rdv(after, identity), previous_status=rdv.status)))
            await uow.commit()
    except SlotTaken:
        raise await _slot_taken(db, organisation_id=rdv.organisation_id, agent_ids=rdv.agent_ids,
                                starts_at=rdv.starts_at, ends_at=rdv.ends_at, rdv_id=rdv.id) from None
    return _view(after, identity)


async def list_rdvs(*, db: Database, identity: Identity, filters: RdvFilters, page: int,
                    per_page: int) -> dict:
    """List the RDVs the caller may see, by start time."""
    viewer = viewer_of(identity)
    async with unit_of_work(db, autocommit=True) as uow:
        items, total = await uow.rdvs.list_visible(viewer=viewer, filters=filters, page=page, per_page=per_page)
    day = today(identity.timezone)
    return {"items": [rdv_view(r, zone=identity.timezone, today=day) for r in items],
            "total": total, "page": page, "per_page": per_page}
