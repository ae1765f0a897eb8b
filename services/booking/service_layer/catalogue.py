"""Keeping the catalogue projection: motifs and lieux as availability's events describe them."""
from __future__ import annotations

from services.booking.service_layer.unit_of_work import BookingUnitOfWork
from shared.events import Envelope, LieuData, MotifData


async def apply_catalogue_event(*, uow: BookingUnitOfWork, envelope: Envelope) -> None:
    """Upsert (or mark deleted) the motif or lieu an `availability.motif|lieu.*` event carries."""
    aggregate, verb = envelope.type.split(".")[1:3]
    if aggregate == "motif":
        item = envelope.data_as(MotifData).motif
    else:
        item = envelope.data_as(LieuData).lieu
    await uow.catalogue.put(kind=aggregate, item_id=item.id, organisation_id=envelope.organisation_id,
                            data=item.model_dump(mode="json"), deleted=verb == "deleted")
