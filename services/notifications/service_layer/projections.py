"""Keep what a message needs: organisations, services, agents (directory), motifs and lieux
(catalogue), usagers' contacts. Each handler runs inside the inbox's transaction."""
from __future__ import annotations

import uuid

from services.notifications.domain.phones import mask
from services.notifications.service_layer.events import (CatalogData, DirectoryData, UsagerAnonymizedData,
                                                        UsagerData)
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.events import Envelope


def _entity(data, aggregate: str, envelope: Envelope):
    entity = getattr(data, aggregate)
    if entity is None:
        raise ValueError(f"{envelope.type} sans {aggregate}")
    return entity


async def on_directory(uow: NotificationsUnitOfWork, envelope: Envelope) -> None:
    """Apply `directory.organisation|service|agent.*`."""
    _, aggregate, verb = envelope.type.split(".")
    entity = _entity(DirectoryData.model_validate(envelope.data), aggregate, envelope)
    if aggregate != "organisation" and verb == "deleted":
        await uow.projections.mark_deleted(aggregate, entity.id)
        return
    values: dict = {"id": entity.id}
    if aggregate == "organisation":
        values.update(name=entity.name or "", timezone=entity.timezone or "Europe/Paris",
                      contact_email=entity.contact_email or None)
    elif aggregate == "service":
        values.update(organisation_id=envelope.organisation_id, name=entity.name or "",
                      short_name=entity.short_name, deleted=False)
    else:  # agent
        values.update(organisation_id=envelope.organisation_id, email=entity.email,
                      first_name=entity.first_name or "", last_name=entity.last_name or "", deleted=False,
                      role=entity.role)
    await uow.projections.save(aggregate, values)


async def on_catalog(uow: NotificationsUnitOfWork, envelope: Envelope) -> None:
    """Apply `availability.motif|lieu.*`."""
    _, aggregate, verb = envelope.type.split(".")
    entity = _entity(CatalogData.model_validate(envelope.data), aggregate, envelope)
    if verb == "deleted":
        await uow.projections.mark_deleted(aggregate, entity.id)
        return
    if aggregate == "motif":
        values = {"name": entity.name or "", "service_id": entity.service_id,
                  "location_type": entity.location_type or "public_office"}
    else:
        values = {"name": entity.name or "", "address": entity.address or "", "phone": entity.phone}
    await uow.projections.save(aggregate, {"id": entity.id, "organisation_id": envelope.organisation_id,
                                           "deleted": False, **values})


async def on_usager(uow: NotificationsUnitOfWork, envelope: Envelope) -> None:
    """Apply `usagers.usager.*`; `anonymized` drops every personal datum held about that person."""
    if envelope.type.endswith(".anonymized"):
        usager_id = UsagerAnonymizedData.model_validate(envelope.data).usager_id
        await anonymize(uow, usager_id=usager_id, organisation_id=envelope.organisation_id)
        return
    usager = UsagerData.model_validate(envelope.data).usager
    held = await uow.projections.usager(usager.id)
    if held and held["anonymized"]:
        return  # an anonymised person never comes back
    await uow.projections.save("usager", {
        "id": usager.id, "organisation_id": usager.organisation_id or envelope.organisation_id,
        "first_name": usager.first_name or "", "last_name": usager.last_name or "",
        "email": usager.email or None, "phone": usager.phone or None,
        "notify_by_sms": bool(usager.notify_by_sms), "notify_by_email": bool(usager.notify_by_email),
        "responsible_id": usager.responsible_id, "anonymized": False})


async def anonymize(uow: NotificationsUnitOfWork, *, usager_id: uuid.UUID, organisation_id) -> None:
    held = await uow.projections.usager(usager_id)
    addresses = [a for a in ((held or {}).get("email"), (held or {}).get("phone")) if a]
    await uow.projections.save("usager", {
        "id": usager_id, "organisation_id": (held or {}).get("organisation_id") or organisation_id,
        "first_name": "", "last_name": "", "email": None, "phone": None, "responsible_id": None,
        "anonymized": True})
    # Messages to that person lose their address and content; agents' emails about their RDVs
    # (which name them) lose their content.
    for row in await uow.projections.messages_naming(usager_id=usager_id, addresses=addresses):
        recipient = row.recipient if row.agent_id else mask(row.channel, row.recipient)
        await uow.projections.erase_message(message_id=row.id, recipient=recipient,
                                            status="cancelled" if row.status == "pending" else row.status)
