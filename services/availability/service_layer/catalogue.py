"""Use cases for lieux and motifs (admin writes)."""
from __future__ import annotations

import uuid
from dataclasses import replace

from services.availability.adapters import repository as repo
from services.availability.domain.model import Lieu, Motif
from services.availability.service_layer import views
from shared.db import UnitOfWork
from shared.errors import NotFound
from shared.events import new_event
from shared.identity import Identity


def _event(identity: Identity, kind: str, data: dict):
    return new_event(kind, organisation_id=identity.organisation_id, data=data, actor=identity.actor())


async def create_lieu(*, uow: UnitOfWork, identity: Identity, fields: dict) -> Lieu:
    """Create a lieu."""
    identity.require_admin()
    lieu = Lieu(id=uuid.uuid4(), organisation_id=identity.organisation_id, **fields)
    await repo.add_lieu(session=uow.session, lieu=lieu)
    uow.publish(_event(identity, "availability.lieu.created", {"lieu": views.lieu(lieu)}))
    await uow.commit()
    return lieu


async def get_lieu(*, uow: UnitOfWork, identity: Identity, lieu_id: uuid.UUID) -> Lieu:
    found = await repo.get_lieu(session=uow.session, organisation_id=identity.organisation_id, lieu_id=lieu_id)
    if found is None:
        raise NotFound("Lieu introuvable.")
    return found


async def update_lieu(*, uow: UnitOfWork, identity: Identity, lieu_id: uuid.UUID, changes: dict) -> Lieu:
    """Change a lieu."""
    identity.require_admin()
    lieu = replace(await get_lieu(uow=uow, identity=identity, lieu_id=lieu_id), **changes)
    await repo.save_lieu(session=uow.session, lieu=lieu)
    uow.publish(_event(identity, "availability.lieu.updated", {"lieu": views.lieu(lieu)}))
    await uow.commit()
    return lieu


async def delete_lieu(*, uow: UnitOfWork, identity: Identity, lieu_id: uuid.UUID) -> None:
    """Delete a lieu (its plages stop giving créneaux)."""
    identity.require_admin()
    lieu = await get_lieu(uow=uow, identity=identity, lieu_id=lieu_id)
    await repo.delete_lieu(session=uow.session, lieu_id=lieu.id)
    uow.publish(_event(identity, "availability.lieu.deleted", {"lieu": views.lieu(lieu)}))
    await uow.commit()


async def create_motif(*, uow: UnitOfWork, identity: Identity, fields: dict) -> Motif:
    """Create a motif."""
    identity.require_admin()
    motif = Motif(id=uuid.uuid4(), organisation_id=identity.organisation_id, **fields)
    await repo.add_motif(session=uow.session, motif=motif)
    uow.publish(_event(identity, "availability.motif.created", {"motif": views.motif(motif)}))
    await uow.commit()
    return motif


async def get_motif(*, uow: UnitOfWork, identity: Identity, motif_id: uuid.UUID) -> Motif:
    found = await repo.get_motif(session=uow.session, organisation_id=identity.organisation_id, motif_id=motif_id)
    if found is None:
        raise NotFound("Motif introuvable.")
    return found


async def update_motif(*, uow: UnitOfWork, identity: Identity, motif_id: uuid.UUID, changes: dict) -> Motif:
    """Change a motif."""
    identity.require_admin()
    motif = replace(await get_motif(uow=uow, identity=identity, motif_id=motif_id), **changes)
    await repo.save_motif(session=uow.session, motif=motif)
    uow.publish(_event(identity, "availability.motif.updated", {"motif": views.motif(motif)}))
    await uow.commit()
    return motif


async def delete_motif(*, uow: UnitOfWork, identity: Identity, motif_id: uuid.UUID) -> None:
    """Delete a motif (it is no longer offered)."""
    identity.require_admin()
    motif = await get_motif(uow=uow, identity=identity, motif_id=motif_id)
    await repo.delete_motif(session=uow.session, motif_id=motif.id)
    uow.publish(_event(identity, "availability.motif.deleted", {"motif": views.motif(motif)}))
    await uow.commit()
