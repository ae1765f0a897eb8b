"""The busy projection: each RDV's agents, interval, status and version, from booking.rdv.*."""
from __future__ import annotations

import uuid

from services.availability.adapters import busy as busy_repo
from services.availability.domain.model import BusyRdv
from shared.db import UnitOfWork
from shared.events import Envelope
from shared.timeutil import parse_instant


def _instant(value):
    return parse_instant(value) if isinstance(value, str) else value


async def record_rdv(uow: UnitOfWork, envelope: Envelope) -> None:
    """Keep the RDV's newest state; an event whose `rdv.version` is not newer changes nothing."""
    if envelope.type == "booking.rdv.purged":  # RGPD retention: booking deleted it, so do we
        if envelope.data.get("rdv_id"):
            await busy_repo.delete_busy(session=uow.session, rdv_id=uuid.UUID(str(envelope.data["rdv_id"])))
        return
    rdv = envelope.data["rdv"]
    organisation_id = envelope.organisation_id or uuid.UUID(str(rdv["organisation_id"]))
    busy = BusyRdv(id=uuid.UUID(str(rdv["id"])), organisation_id=organisation_id,
                   agent_ids=[uuid.UUID(str(a)) for a in rdv.get("agent_ids") or []],
                   starts_at=_instant(rdv["starts_at"]), ends_at=_instant(rdv["ends_at"]),
                   status=rdv.get("status") or "unknown", version=int(rdv.get("version") or 0),
                   motif_id=uuid.UUID(str(rdv["motif_id"])) if rdv.get("motif_id") else None,
                   lieu_id=uuid.UUID(str(rdv["lieu_id"])) if rdv.get("lieu_id") else None,
                   payload={k: v for k, v in rdv.items() if k != "display_status"})
    await busy_repo.upsert_busy(session=uow.session, rdv=busy, event_at=envelope.occurred_at)
