"""Keep what a message needs: organisations, services, agents (directory), motifs and lieux
(catalogue), usagers' contacts. Each handler runs inside the inbox's transaction."""
from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select, update

from services.notifications.adapters import repository as repo
from services.notifications.adapters import tables as t
from services.notifications.domain.phones import mask
from shared.db import UnitOfWork
from shared.events import Envelope


def _id(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def on_directory(uow: UnitOfWork, envelope: Envelope) -> None:
    """Apply `directory.organisation|service|agent.*`."""
    _, aggregate, verb = envelope.type.split(".")
    data = envelope.data.get(aggregate) or {}
    if aggregate == "organisation":
        await repo.upsert(uow, t.organisations, {"id": _id(data["id"]), "name": data.get("name") or "",
                                                  "timezone": data.get("timezone") or "Europe/Paris",
                                                  "contact_email": data.get("contact_email") or None})
    elif aggregate == "service":
        if verb == "deleted":
            await repo.mark_deleted(uow, t.services, _id(data["id"]))
            return
        await repo.upsert(uow, t.services, {"id": _id(data["id"]), "organisation_id": envelope.organisation_id,
                                             "name": data.get("name") or "", "short_name": data.get("short_name"),
                                             "deleted": False})
    elif aggregate == "agent":
        if verb == "deleted":
            await repo.mark_deleted(uow, t.agents, _id(data["id"]))
            return
        await repo.upsert(uow, t.agents, {"id": _id(data["id"]), "organisation_id": envelope.organisation_id,
                                           "email": data.get("email"), "first_name": data.get("first_name") or "",
                                           "last_name": data.get("last_name") or "", "deleted": False,
                                           "role": data.get("role")})


async def on_catalog(uow: UnitOfWork, envelope: Envelope) -> None:
    """Apply `availability.motif|lieu.*`."""
    _, aggregate, verb = envelope.type.split(".")
    data = envelope.data.get(aggregate) or {}
    table = t.motifs if aggregate == "motif" else t.lieux
    if verb == "deleted":
        await repo.mark_deleted(uow, table, _id(data["id"]))
        return
    if aggregate == "motif":
        values = {"name": data.get("name") or "", "service_id": _id(data["service_id"]),
                  "location_type": data.get("location_type") or "public_office"}
    else:
        values = {"name": data.get("name") or "", "address": data.get("address") or "", "phone": data.get("phone")}
    await repo.upsert(uow, table, {"id": _id(data["id"]), "organisation_id": envelope.organisation_id,
                                   "deleted": False, **values})


async def on_usager(uow: UnitOfWork, envelope: Envelope) -> None:
    """Apply `usagers.usager.*`; `anonymized` drops every personal datum held about that person."""
    if envelope.type.endswith(".anonymized"):
        await anonymize(uow, usager_id=_id(envelope.data["usager_id"]), organisation_id=envelope.organisation_id)
        return
    data = envelope.data["usager"]
    usager_id = _id(data["id"])
    held = await repo.get(uow, t.usagers, usager_id)
    if held and held["anonymized"]:
        return  # an anonymised person never comes back
    organisation_id = data.get("organisation_id") or envelope.organisation_id
    await repo.upsert(uow, t.usagers, {
        "id": usager_id, "organisation_id": _id(organisation_id),
        "first_name": data.get("first_name") or "", "last_name": data.get("last_name") or "",
        "email": data.get("email") or None, "phone": data.get("phone") or None,
        "notify_by_sms": bool(data.get("notify_by_sms", True)),
        "notify_by_email": bool(data.get("notify_by_email", True)),
        "responsible_id": _id(data["responsible_id"]) if data.get("responsible_id") else None,
        "anonymized": False})


async def anonymize(uow: UnitOfWork, *, usager_id: uuid.UUID, organisation_id) -> None:
    held = await repo.get(uow, t.usagers, usager_id)
    addresses = [a for a in ((held or {}).get("email"), (held or {}).get("phone")) if a]
    await repo.upsert(uow, t.usagers, {
        "id": usager_id, "organisation_id": (held or {}).get("organisation_id") or organisation_id,
        "first_name": "", "last_name": "", "email": None, "phone": None, "responsible_id": None,
        "anonymized": True})
    # Messages to that person lose their address and content; agents' emails about their RDVs
    # (which name them) lose their content.
    theirs = or_(t.messages.c.usager_id == usager_id, t.messages.c.recipient.in_(addresses))
    their_rdvs = select(t.rdvs.c.id).where(t.rdvs.c.usager_ids.any(usager_id))
    about = and_(t.messages.c.agent_id.is_not(None), t.messages.c.rdv_id.in_(their_rdvs))
    rows = (await uow.execute(select(t.messages.c.id, t.messages.c.channel, t.messages.c.recipient,
                                     t.messages.c.status, t.messages.c.agent_id)
                              .where(or_(theirs, about)))).all()
    # (the dev inbox, a view of the messages sent, no longer lists a message once its content is erased)
    for row in rows:
        recipient = row.recipient if row.agent_id else mask(row.channel, row.recipient)
        await uow.execute(update(t.messages).where(t.messages.c.id == row.id).values(
            recipient=recipient, subject=None, body="", html=None, attachments=[],
            status="cancelled" if row.status == "pending" else row.status))
