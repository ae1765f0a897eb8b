"""Use cases of creating an RDV: by an agent, or by an usager online.

Writes follow one path: availability's check first (outside any transaction), then one
transaction that writes under the exclusion constraint and the outbox together (for a create,
a single statement). A create whose start lies in an active RDV of its agents is refused first.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timezone

from services.booking.adapters.availability import AvailabilityClient, CheckResult
from services.booking.domain.rdv import (UNKNOWN, DuplicateIdempotencyKey, Rdv, RetryTransaction, SlotTaken,
                                         normalise_ids)
from services.booking.service_layer.checks import (TRANSACTION_ATTEMPTS, rdv_ends_at, refused, slot_taken, taken,
                                                   tolerated, with_warnings)
from services.booking.service_layer.commands import BookPublicRdv, BookRdv
from services.booking.service_layer.reads import event_rdv, view_for, viewer_of
from services.booking.service_layer.unit_of_work import unit_of_work
from shared import clock, events
from shared.db import Database
from shared.errors import AppError, Conflict, Forbidden
from shared.events import new_event
from shared.identity import Identity


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
        raise taken(identity.organisation_id, found)


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
    return view_for(rdv, identity)


async def _check_or_replay(db: Database, identity: Identity, key: str | None, request_hash: str,
                           checking, *, allow_outside_opening: bool = False) -> CheckResult | dict:
    """Availability's verdict; when it refuses, a retried request gets the RDV its first try created.

    A retry of a create that went through meets the key's unique index at insert time
    (DuplicateIdempotencyKey) and is answered there, so the happy path reads nothing first;
    only a refusal (the slot may have closed since, or availability is down) looks the key up.
    """
    try:
        check = await checking
        if tolerated(check, allow_outside_opening):
            return check
        refusal: AppError = refused(check)
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
                      data=events.RdvCreatedData(rdv=event_rdv(rdv, identity), origin=rdv.origin))
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
        raise await slot_taken(db, organisation_id=rdv.organisation_id, agent_ids=rdv.agent_ids,
                                starts_at=rdv.starts_at, ends_at=rdv.ends_at) from None
    except DuplicateIdempotencyKey:
        # A concurrent retry with the same key committed first: answer with its RDV.
        replayed = await _replay(db, identity, key or "", request_hash)
        if replayed is None:
            raise
        return replayed
    return view_for(rdv, identity)


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
        return with_warnings(check, allow, None)
    now = clock.now()
    rdv = Rdv(id=uuid.uuid4(), organisation_id=identity.organisation_id, motif_id=command.motif_id,
              service_id=check.service_id, lieu_id=command.lieu_id, agent_ids=agent_ids,
              usager_ids=usager_ids, starts_at=command.starts_at,
              ends_at=rdv_ends_at(check, command.starts_at, command.duration_minutes),
              status=UNKNOWN, context=command.context, origin="agent", created_at=now,
              created_by=identity.agent_id if identity.kind == "agent" else None,
              cancelled_at=None, version=1)
    created = await _create(db, identity, rdv, key=command.idempotency_key, request_hash=request_hash)
    return with_warnings(created, allow, check)


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
              ends_at=rdv_ends_at(check, command.starts_at, None), status=UNKNOWN, context=None,
              origin="usager", created_at=clock.now(), created_by=None, cancelled_at=None, version=1)
    return await _create(db, identity, rdv, key=command.idempotency_key, request_hash=request_hash)
