"""Keep what a message needs: organisations, services, agents (directory), motifs and lieux
(catalogue), usagers' contacts. Each handler runs inside the inbox's transaction."""
from __future__ import annotations

import uuid

from services.notifications.domain.phones import mask
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.events import Envelope


def _id(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def on_directory(uow: NotificationsUnitOfWork, envelope: Envelope) -> None:
    """Apply `directory.organisation|service|agent.*`."""
    _, aggregate, verb = envelope.type.split(".")
    data = envelope.data.get(aggregate) or {}
    if aggregate != "organisation" and verb == "deleted":
        await uow.projections.mark_deleted(aggregate, _id(data["id"]))
        return
    values = {"id": _id(data["id"])}
    if aggregate == "organisation":
        values.update(name=data.get("name") or "", timezone=data.get("timezone") or "Europe/Paris",
                      contact_email=data.get("contact_email") or None)
    elif aggregate == "service":
        values.update(organisation_id=envelope.organisation_id, name=data.get("name") or "",
                      short_name=data.get("short_name"), deleted=False)
    else:  # agent
        values.update(organisation_id=envelope.organisation_id, email=data.get("email"),
                      first_name=data.get("first_name") or "", last_name=data.get("last_name") or "", deleted=False,
                      role=data.get("role"))
    await uow.projections.save(aggregate, values)


async def on_catalog(uow: NotificationsUnitOfWork, envelope: Envelope) -> None:
    """Apply `availability.motif|lieu.*`."""
    _, aggregate, verb = envelope.type.split(".")
    data = envelope.data.get(aggregate) or {}
    if verb == "deleted":
        await uow.projections.mark_deleted(aggregate, _id(data["id"]))
        return
    if aggregate == "motif":
        values = {"name": data.get("name") or "", "service_id": _id(data["service_id"]),
                  "location_type": data.get("location_type") or "public_office"}
    else:
        values = {"name": data.get("name") or "", "address": data.get("address") or "", "phone": data.get("phone")}
    await uow.projections.save(aggregate, {"id": _id(data["id"]), "organisation_id": envelope.organisation_id,
                                           "deleted": False, **values})


async def on_usager(uow: NotificationsUnitOfWork, envelope: Envelope) -> None:
    """Apply `usagers.usager.*`; `anonymized` drops every personal datum held about that person."""
    if envelope.type.endswith(".anonymized"):
        await anonymize(uow, usager_id=_id(envelope.data["usager_id"]), organisation_id=envelope.organisation_id)
        return
    data = envelope.data["usager"]
    usager_id = _id(data["id"])
    held = await uow.projections.usager(usager_id)
    if held and held["anonymized"]:
        return  # an anonymised person never comes back
    organisation_id = data.get("organisation_id") or envelope.organisation_id
    await uow.projections.save("usager", {
        "id": usager_id, "organisation_id": _id(organisation_id),
        "first_name": data.get("first_name") or "", "last_name": data.get("last_name") or "",
        "email": data.get("email") or None, "phone": data.get("phone") or None,
        "notify_by_sms": bool(data.get("notify_by_sms", True)),
        "notify_by_email": bool(data.get("notify_by_email", True)),
        "responsible_id": _id(data["responsible_id"]) if data.get("responsible_id") else None,
        "anonymized": False})


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
