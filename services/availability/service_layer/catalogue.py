"""Use cases for lieux and motifs (admin writes)."""
from __future__ import annotations

import uuid
from dataclasses import replace

from services.availability.domain.model import Lieu, Motif
from services.availability.service_layer import views
from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork
from shared.errors import NotFound
from shared.events import LieuData, MotifData, new_event
from shared.identity import Identity


def _event(identity: Identity, kind: str, data: LieuData | MotifData):
    return new_event(kind, organisation_id=identity.organisation_id, data=data, actor=identity.actor())


async def create_lieu(*, uow: AvailabilityUnitOfWork, identity: Identity, fields: dict) -> Lieu:
    """Create a lieu."""
    identity.require_admin()
    lieu = Lieu(id=uuid.uuid4(), organisation_id=identity.organisation_id, **fields)
    await uow.catalogue.add_lieu(lieu=lieu)
    uow.publish(_event(identity, "availability.lieu.created", LieuData(lieu=views.lieu(lieu))))
    await uow.commit()
    return lieu


async def get_lieu(*, uow: AvailabilityUnitOfWork, identity: Identity, lieu_id: uuid.UUID) -> Lieu:
    found = await uow.catalogue.get_lieu(organisation_id=identity.organisation_id, lieu_id=lieu_id)
    if found is None:
        raise NotFound("Lieu introuvable.")
    return found


async def update_lieu(*, uow: AvailabilityUnitOfWork, identity: Identity, lieu_id: uuid.UUID, changes: dict) -> Lieu:
    """Change a lieu."""
    identity.require_admin()
    lieu = replace(await get_lieu(uow=uow, identity=identity, lieu_id=lieu_id), **changes)
    await uow.catalogue.save_lieu(lieu=lieu)
    uow.publish(_event(identity, "availability.lieu.updated", LieuData(lieu=views.lieu(lieu))))
    await uow.commit()
    return lieu


async def delete_lieu(*, uow: AvailabilityUnitOfWork, identity: Identity, lieu_id: uuid.UUID) -> None:
    """Delete a lieu (its plages stop giving créneaux)."""
    identity.require_admin()
    lieu = await get_lieu(uow=uow, identity=identity, lieu_id=lieu_id)
    await uow.catalogue.delete_lieu(lieu_id=lieu.id)
    uow.publish(_event(identity, "availability.lieu.deleted", LieuData(lieu=views.lieu(lieu))))
    await uow.commit()


async def create_motif(*, uow: AvailabilityUnitOfWork, identity: Identity, fields: dict) -> Motif:
    """Create a motif."""
    identity.require_admin()
    motif = Motif(id=uuid.uuid4(), organisation_id=identity.organisation_id, **fields)
    await uow.catalogue.add_motif(motif=motif)
    uow.publish(_event(identity, "availability.motif.created", MotifData(motif=views.motif(motif))))
    await uow.commit()
    return motif


async def get_motif(*, uow: AvailabilityUnitOfWork, identity: Identity, motif_id: uuid.UUID) -> Motif:
    found = await uow.catalogue.get_motif(organisation_id=identity.organisation_id, motif_id=motif_id)
    if found is None:
        raise NotFound("Motif introuvable.")
    return found


async def update_motif(*, uow: AvailabilityUnitOfWork, identity: Identity, motif_id: uuid.UUID, changes: dict) -> Motif:
    """Change a motif."""
    identity.require_admin()
    motif = replace(await get_motif(uow=uow, identity=identity, motif_id=motif_id), **changes)
    await uow.catalogue.save_motif(motif=motif)
    uow.publish(_event(identity, "availability.motif.updated", MotifData(motif=views.motif(motif))))
    await uow.commit()
    return motif


async def delete_motif(*, uow: AvailabilityUnitOfWork, identity: Identity, motif_id: uuid.UUID) -> None:
    """Delete a motif (it is no longer offered)."""
    identity.require_admin()
    motif = await get_motif(uow=uow, identity=identity, motif_id=motif_id)
    await uow.catalogue.delete_motif(motif_id=motif.id)
    uow.publish(_event(identity, "availability.motif.deleted", MotifData(motif=views.motif(motif))))
    await uow.commit()


async def list_lieux(*, uow: AvailabilityUnitOfWork, identity: Identity, page: int,
                     per_page: int) -> tuple[list[Lieu], int]:
    """List the organisation's lieux."""
    return await uow.catalogue.list_lieux(organisation_id=identity.organisation_id, page=page, per_page=per_page)


async def list_motifs(*, uow: AvailabilityUnitOfWork, identity: Identity, page: int, per_page: int,
                      service_id: uuid.UUID | None) -> tuple[list[Motif], int]:
    """List the organisation's motifs (optionally of one service)."""
    return await uow.catalogue.list_motifs(organisation_id=identity.organisation_id, page=page, per_page=per_page,
                                           service_id=service_id)
