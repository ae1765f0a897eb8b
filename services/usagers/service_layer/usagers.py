"""Use cases on usagers: create, update, anonymise (RGPD), find-or-create, search."""
from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any, Sequence

from services.usagers.domain.errors import InvalidField, UsagerAnonymized
from services.usagers.domain.search import parse_query
from services.usagers.domain.usager import Usager, check_responsible, clean_fields
from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork
from shared import clock, events
from shared.errors import NotFound
from shared.events import new_event
from shared.identity import Identity
from shared.timeutil import today

NOT_FOUND = "Usager introuvable."


def _publish(uow: UsagersUnitOfWork, identity: Identity, kind: str, usager: Usager) -> None:
    uow.publish(new_event(f"usagers.usager.{kind}", organisation_id=usager.organisation_id,
                          data=events.UsagerData(usager=events.Usager(**usager.event_payload())),
                          actor=identity.actor()))


async def _responsible(uow: UsagersUnitOfWork, identity: Identity, *, usager_id: uuid.UUID | None,
                       responsible_id: uuid.UUID) -> Usager:
    # Locked, so that nobody attaches a relative to it while it becomes a relative itself.
    responsible = await uow.usagers.get(organisation_id=identity.organisation_id, usager_id=responsible_id,
                                        for_update=True)
    has_relatives = await uow.usagers.has_relatives(usager_id=usager_id) if usager_id else False
    check_responsible(usager_id=usager_id, responsible=responsible, has_relatives=has_relatives)
    return responsible  # type: ignore[return-value]


async def _new_usager(uow: UsagersUnitOfWork, identity: Identity, fields: dict[str, Any]) -> Usager:
    now = clock.now()
    usager = Usager(id=uuid.uuid4(), organisation_id=identity.organisation_id, created_at=now, updated_at=now,
                    created_by=identity.agent_id, **fields)
    if usager.responsible_id:
        responsible = await _responsible(uow, identity, usager_id=None, responsible_id=usager.responsible_id)
        usager = replace(usager, responsible_email=responsible.email, responsible_phone=responsible.phone)
    await uow.usagers.add(usager)
    return usager


async def create_usager(*, uow: UsagersUnitOfWork, identity: Identity,
                        data: dict[str, Any]) -> tuple[Usager, list[Usager]]:
    """Create an usager; return it with the possible duplicates already on file."""
    fields = clean_fields(data, today=today(identity.timezone))
    async with uow:
        usager = await _new_usager(uow, identity, fields)
        duplicates = await uow.usagers.possible_duplicates(usager)
        _publish(uow, identity, "created", usager)
        await uow.commit()
    return usager, duplicates


async def update_usager(*, uow: UsagersUnitOfWork, identity: Identity, usager_id: uuid.UUID,
                        changes: dict[str, Any]) -> Usager:
    """Change some fields; relatives reached through this usager are told of its new contacts."""
    fields = clean_fields(changes, today=today(identity.timezone))
    async with uow:
        current = await uow.usagers.get(organisation_id=identity.organisation_id, usager_id=usager_id,
                                        for_update=True)
        if current is None:
            raise NotFound(NOT_FOUND)
        if current.is_anonymized:
            raise UsagerAnonymized()
        updated = await _with_responsible(uow, identity, current, current.with_changes(fields, at=clock.now()))
        if replace(updated, updated_at=current.updated_at) == current:
            return current  # nothing changed: no write, no event
        await uow.usagers.save(updated)
        _publish(uow, identity, "updated", updated)
        if (updated.email, updated.phone) != (current.email, current.phone):
            relatives = await uow.usagers.relatives(organisation_id=identity.organisation_id, usager_id=current.id)
            for relative in relatives:
                _publish(uow, identity, "updated", relative)  # its effective contacts changed
        await uow.commit()
    return updated


async def _with_responsible(uow: UsagersUnitOfWork, identity: Identity, current: Usager, updated: Usager) -> Usager:
    """`updated` with its responsible's contacts, when the change gives it another responsible (checked)."""
    if updated.responsible_id == current.responsible_id:
        return updated
    if updated.responsible_id is None:
        return replace(updated, responsible_email=None, responsible_phone=None)
    responsible = await _responsible(uow, identity, usager_id=current.id, responsible_id=updated.responsible_id)
    return replace(updated, responsible_email=responsible.email, responsible_phone=responsible.phone)


async def anonymise_usager(*, uow: UsagersUnitOfWork, identity: Identity, usager_id: uuid.UUID) -> Usager:
    """Wipe the usager's personal data (RGPD), keep its id; its relatives become independent."""
    identity.require_admin()
    return await anonymise(uow=uow, identity=identity, usager_id=usager_id)


async def anonymise(*, uow: UsagersUnitOfWork, identity: Identity, usager_id: uuid.UUID) -> Usager:
    """Anonymise without a role check: DELETE (after it) and the retention job (identity `system`)."""
    async with uow:
        current = await uow.usagers.get(organisation_id=identity.organisation_id, usager_id=usager_id,
                                        for_update=True)
        if current is None:
            raise NotFound(NOT_FOUND)
        if current.is_anonymized:
            return current  # a repeated DELETE changes nothing
        now = clock.now()
        for relative in await uow.usagers.relatives(organisation_id=identity.organisation_id, usager_id=current.id):
            detached = replace(relative, responsible_id=None, responsible_email=None, responsible_phone=None,
                               updated_at=now)
            await uow.usagers.save(detached)
            _publish(uow, identity, "updated", detached)
        anonymised = current.anonymised(at=now)
        await uow.usagers.save(anonymised)
        uow.publish(new_event("usagers.usager.anonymized", organisation_id=current.organisation_id,
                              data=events.UsagerAnonymizedData(usager_id=current.id), actor=identity.actor()))
        await uow.commit()
    return anonymised


async def find_or_create_usager(*, uow: UsagersUnitOfWork, identity: Identity,
                                data: dict[str, Any]) -> tuple[Usager, bool]:
    """For the public booking: reuse the usager with this phone or email, else create it."""
    fields = clean_fields({k: data.get(k) for k in ("first_name", "last_name", "email", "phone")},
                          today=today(identity.timezone))
    if not fields.get("phone"):
        raise InvalidField("phone", "Le numéro de téléphone est obligatoire.")
    async with uow:
        await uow.usagers.lock(key=f"usager-phone:{identity.organisation_id}:{fields['phone']}")
        existing = await uow.usagers.find_for_booking(organisation_id=identity.organisation_id, phone=fields["phone"],
                                               email=fields.get("email"), first_name=fields["first_name"],
                                               last_name=fields["last_name"])
        if existing is not None:
            return existing, False
        usager = await _new_usager(uow, identity, fields)
        _publish(uow, identity, "created", usager)
        await uow.commit()
    return usager, True


async def search_usagers(*, uow: UsagersUnitOfWork, identity: Identity, q: str | None, scope: str, page: int,
                         per_page: int, ids: Sequence[uuid.UUID] | None = None) -> tuple[list[Usager], int]:
    """Find usagers by name prefix, phone or email, best matches first."""
    service_ids: list[uuid.UUID] | None = None
    if scope == "service":
        service_ids = list(identity.service_ids)
        if not service_ids:
            return [], 0
    async with uow:
        return await uow.usagers.search(
            organisation_id=identity.organisation_id, query=parse_query(q), service_ids=service_ids, ids=ids,
            limit=per_page, offset=(page - 1) * per_page)
