"""Reading RDVs as the caller may see them, and the views every use case answers with."""
from __future__ import annotations

import uuid

from services.booking.domain.rdv import Rdv, RdvFilters, Viewer
from services.booking.service_layer.unit_of_work import unit_of_work
from services.booking.service_layer.views import rdv_event_view, rdv_view
from shared import events
from shared.db import Database
from shared.errors import Forbidden, NotFound
from shared.identity import Identity
from shared.timeutil import today


def viewer_of(identity: Identity) -> Viewer:
    """Agents see by role; the platform itself (`system`) sees the organisation."""
    if identity.kind == "public":
        raise Forbidden("Cette action est réservée aux agents.")
    return Viewer(organisation_id=identity.organisation_id, agent_id=identity.agent_id,
                  is_admin=identity.is_admin or identity.kind == "system",
                  service_ids=frozenset(identity.service_ids))


def view_for(rdv: Rdv, identity: Identity) -> dict:
    view = rdv_view(rdv, zone=identity.timezone, today=today(identity.timezone))
    if identity.kind == "public":
        view["allowed_statuses"] = []  # an usager booking online cannot set a status
    return view


def event_rdv(rdv: Rdv, identity: Identity) -> events.Rdv:
    return events.Rdv(**rdv_event_view(rdv, zone=identity.timezone, today=today(identity.timezone)))


async def visible_rdv(db: Database, identity: Identity, rdv_id: uuid.UUID) -> Rdv:
    viewer = viewer_of(identity)
    async with unit_of_work(db, autocommit=True) as uow:
        rdv = await uow.rdvs.get(organisation_id=identity.organisation_id, rdv_id=rdv_id)
    if rdv is None or not rdv.visible_to(viewer):
        raise NotFound("Rendez-vous introuvable.")
    return rdv


async def get_rdv(*, db: Database, identity: Identity, rdv_id: uuid.UUID) -> dict:
    """Read one RDV the caller may see."""
    return view_for(await visible_rdv(db, identity, rdv_id), identity)


async def list_rdvs(*, db: Database, identity: Identity, filters: RdvFilters, page: int,
                    per_page: int) -> dict:
    """List the RDVs the caller may see, by start time."""
    viewer = viewer_of(identity)
    async with unit_of_work(db, autocommit=True) as uow:
        items, total = await uow.rdvs.list_visible(viewer=viewer, filters=filters, page=page, per_page=per_page)
    day = today(identity.timezone)
    return {"items": [rdv_view(r, zone=identity.timezone, today=day) for r in items],
            "total": total, "page": page, "per_page": per_page}
