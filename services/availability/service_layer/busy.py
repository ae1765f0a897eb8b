"""The busy projection: each RDV's agents, interval, status and version, from booking.rdv.*."""
from __future__ import annotations

import uuid
from datetime import datetime

from services.availability.domain.model import BusyRdv, is_newer
from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork
from shared.events import CATALOGUE, Envelope, RdvPurgedData


def _purged_id(envelope: Envelope) -> uuid.UUID:
    return envelope.data_as(RdvPurgedData).rdv_id


def _busy(envelope: Envelope) -> BusyRdv:
    """The RDV a `booking.rdv.created|updated|status_changed` event carries, as the projection keeps it."""
    rdv = envelope.data_as(CATALOGUE[envelope.type]).rdv
    return BusyRdv(id=rdv.id, organisation_id=envelope.organisation_id or rdv.organisation_id,
                   agent_ids=list(rdv.agent_ids), starts_at=rdv.starts_at, ends_at=rdv.ends_at, status=rdv.status,
                   version=rdv.version, motif_id=rdv.motif_id, lieu_id=rdv.lieu_id,
                   payload=rdv.model_dump(mode="json", exclude_unset=True, exclude={"display_status"}))


async def record_rdv(uow: AvailabilityUnitOfWork, envelope: Envelope) -> None:
    """Keep the RDV's newest state; an event whose `rdv.version` is not newer changes nothing."""
    await record_rdvs(uow, [envelope])  # the same constant statements as a batch of one


async def record_rdvs(uow: AvailabilityUnitOfWork, envelopes: list[Envelope]) -> None:
    """`record_rdv` for a batch, in order, with two statements at most.

    Per RDV, only the state that applying the events one by one would leave is written: the newest
    by `upsert_busy_many`'s rule among the events after its last purge; the purges are applied first.
    """
    latest: dict[uuid.UUID, tuple[BusyRdv, datetime]] = {}
    purged: list[uuid.UUID] = []
    for envelope in envelopes:
        if envelope.type == "booking.rdv.purged":  # RGPD retention: booking deleted it, so do we
            rdv_id = _purged_id(envelope)
            latest.pop(rdv_id, None)
            purged.append(rdv_id)
            continue
        state = (_busy(envelope), envelope.occurred_at)
        kept = latest.get(state[0].id)
        if kept is None or is_newer(state, kept):
            latest[state[0].id] = state
    await uow.busy.delete_busy_many(rdv_ids=purged)
    await uow.busy.upsert_busy_many(rdvs=list(latest.values()))
