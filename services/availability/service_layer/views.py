"""JSON shapes of the contract (API responses and event payloads), from domain objects."""
from __future__ import annotations

from datetime import datetime, time, timezone
from functools import lru_cache

from services.availability.domain.model import Absence, BusyRdv, Lieu, Motif, Plage
from shared.timeutil import iso


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")


@lru_cache(maxsize=65536)
def iso_epoch(seconds: int, zone: str) -> str:
    """An instant (epoch seconds) in the organisation's offset; cached, slots share starts."""
    return iso(datetime.fromtimestamp(seconds, timezone.utc), zone)


def lieu(lieu: Lieu) -> dict:
    return {"id": str(lieu.id), "name": lieu.name, "address": lieu.address, "phone": lieu.phone}


def motif(motif: Motif) -> dict:
    return {"id": str(motif.id), "name": motif.name, "service_id": str(motif.service_id),
            "duration_minutes": motif.duration_minutes, "location_type": motif.location_type,
            "color": motif.color, "reservable_online": motif.reservable_online,
            "min_booking_delay_minutes": motif.min_booking_delay_minutes,
            "max_booking_delay_days": motif.max_booking_delay_days}


def plage(plage: Plage) -> dict:
    return {"id": str(plage.id), "agent_id": str(plage.agent_id), "lieu_id": str(plage.lieu_id),
            "motif_ids": [str(m) for m in plage.motif_ids], "title": plage.title,
            "first_day": plage.first_day.isoformat(), "start_time": hhmm(plage.start_time),
            "end_time": hhmm(plage.end_time),
            "recurrence": plage.recurrence.to_json() if plage.recurrence else None}


def absence(absence: Absence) -> dict:
    return {"id": str(absence.id), "agent_id": str(absence.agent_id), "title": absence.title,
            "first_day": absence.first_day.isoformat(), "start_time": hhmm(absence.start_time),
            "end_day": absence.end_day.isoformat(), "end_time": hhmm(absence.end_time),
            "recurrence": absence.recurrence.to_json() if absence.recurrence else None}


def rdv(rdv: BusyRdv, zone: str) -> dict:
    """The RDV as booking published it, with its current agents, times and status from the projection."""
    return {**rdv.payload, "id": str(rdv.id), "agent_ids": [str(a) for a in rdv.agent_ids],
            "starts_at": iso(rdv.starts_at, zone), "ends_at": iso(rdv.ends_at, zone), "status": rdv.status,
            "motif_id": str(rdv.motif_id) if rdv.motif_id else None,
            "lieu_id": str(rdv.lieu_id) if rdv.lieu_id else None}
