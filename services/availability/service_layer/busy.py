"""The busy projection: each RDV's agents, interval, status and version, from booking.rdv.*."""
from __future__ import annotations

import uuid
from datetime import datetime

from services.availability.adapters import busy as busy_repo
from services.availability.domain.model import BusyRdv
from shared.db import UnitOfWork
from shared.events import Envelope
from shared.timeutil import parse_instant


def _instant(value):
    return parse_instant(value) if isinstance(value, str) else value


def _purged_id(envelope: Envelope) -> uuid.UUID | None:
    return uuid.UUID(str(envelope.data["rdv_id"])) if envelope.data.get("rdv_id") else None


def _busy(envelope: Envelope) -> BusyRdv:
    rdv = envelope.data["rdv"]
    organisation_id = envelope.organisation_id or uuid.UUID(str(rdv["organisation_id"]))
    return BusyRdv(id=uuid.UUID(str(rdv["id"])), organisation_id=organisation_id,
                   agent_ids=[uuid.UUID(str(a)) for a in rdv.get("agent_ids") or []],
                   starts_at=_instant(rdv["starts_at"]), ends_at=_instant(rdv["ends_at"]),
                   status=rdv.get("status") or "unknown", version=int(rdv.get("version") or 0),
                   motif_id=uuid.UUID(str(rdv["motif_id"])) if rdv.get("motif_id") else None,
                   lieu_id=uuid.UUID(str(rdv["lieu_id"])) if rdv.get("lieu_id") else None,
                   payload={k: v for k, v in rdv.items() if k != "display_status"})


async def record_rdv(uow: UnitOfWork, envelope: Envelope) -> None:
    """Keep the RDV's newest state; an event whose `rdv.version` is not newer changes nothing."""
    if envelope.type == "booking.rdv.purged":  # RGPD retention: booking deleted it, so do we
        rdv_id = _purged_id(envelope)
        if rdv_id:
            await busy_repo.delete_busy(session=uow.session, rdv_id=rdv_id)
        return
    await busy_repo.upsert_busy(session=uow.session, rdv=_busy(envelope), event_at=envelope.occurred_at)


async def record_rdvs(uow: UnitOfWork, envelopes: list[Envelope]) -> None:
    """`record_rdv` for a batch, in order, with two statements at most.

    Per RDV, only the state that applying the events one by one would leave is written: the newest
    by `upsert_busy`'s rule among the events after its last purge; the purges are applied first.
    """
    latest: dict[uuid.UUID, tuple[BusyRdv, datetime]] = {}
    purged: list[uuid.UUID] = []
    for envelope in envelopes:
        if envelope.type == "booking.rdv.purged":
            rdv_id = _purged_id(envelope)
            if rdv_id:
                latest.pop(rdv_id, None)
                purged.append(rdv_id)
            continue
        state = (_busy(envelope), envelope.occurred_at)
        kept = latest.get(state[0].id)
        if kept is None or busy_repo.is_newer(state, kept):
            latest[state[0].id] = state
    await busy_repo.delete_busy_many(session=uow.session, rdv_ids=purged)
    await busy_repo.upsert_busy_many(session=uow.session, rdvs=list(latest.values()))
