"""Checks shared by the use cases: who may write, which references exist, which window is allowed."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from services.availability.domain.model import Lieu, Motif
from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork
from shared.errors import AppError, Forbidden, ValidationFailed
from shared.identity import Identity

MAX_WINDOW_DAYS = 62


def instant_in_range(field: str, value: datetime) -> None:
    from services.availability.domain.model import FIRST_DAY, LAST_DAY

    if not FIRST_DAY.year <= value.year <= LAST_DAY.year:
        message = "Instant hors de la période prise en charge (1970 à 2200)."
        raise ValidationFailed(message, details={"fields": {field: message}})


def can_manage(identity: Identity, agent_id: uuid.UUID) -> None:
    """A basic agent writes only their own plages and absences; an admin any agent's."""
    identity.require_agent()
    if not identity.is_admin and agent_id != identity.agent_id:
        raise Forbidden("Un agent ne gère que ses propres plages et indisponibilités.")


def unknown_motif() -> AppError:
    return AppError("Motif inconnu dans cette organisation.", code="unknown_motif", status=422)


def unknown_lieu() -> AppError:
    return AppError("Lieu inconnu dans cette organisation.", code="unknown_lieu", status=422)


async def motif_of(uow: AvailabilityUnitOfWork, identity: Identity, motif_id: uuid.UUID) -> Motif:
    found = await uow.catalogue.get_motif(organisation_id=identity.organisation_id, motif_id=motif_id)
    if found is None:
        raise unknown_motif()
    return found


async def lieu_of(uow: AvailabilityUnitOfWork, identity: Identity, lieu_id: uuid.UUID) -> Lieu:
    found = await uow.catalogue.get_lieu(organisation_id=identity.organisation_id, lieu_id=lieu_id)
    if found is None:
        raise unknown_lieu()
    return found


def window(first: date, last: date) -> None:
    """`[from 00:00, to 24:00)` local, at most 62 days, within the days the service handles."""
    from services.availability.domain.model import FIRST_DAY, LAST_DAY

    for field, day in (("from", first), ("to", last)):
        if not FIRST_DAY <= day <= LAST_DAY:
            message = "Date hors de la période prise en charge (1970 à 2200)."
            raise ValidationFailed(message, details={"fields": {field: message}})
    if last < first:
        raise ValidationFailed("La date de fin précède la date de début.",
                               details={"fields": {"to": "La date de fin précède la date de début."}})
    if (last - first).days + 1 > MAX_WINDOW_DAYS:
        raise AppError(f"La période demandée dépasse {MAX_WINDOW_DAYS} jours.", code="range_too_large",
                       status=422, details={"max_days": MAX_WINDOW_DAYS})
