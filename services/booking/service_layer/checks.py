"""What the write use cases share: availability's verdict, slot conflicts, retries and warnings."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.booking.adapters.availability import CheckResult
from services.booking.service_layer.unit_of_work import unit_of_work
from shared.db import Database
from shared.errors import Conflict

# Refusals of availability's check that `allow_outside_opening` turns into warnings (slot_taken never is one).
TOLERABLE = frozenset({"outside_opening", "agent_absent", "holiday"})


TRANSACTION_ATTEMPTS = 5


def tolerated(check: CheckResult, allow_outside_opening: bool) -> bool:
    return check.ok or (allow_outside_opening and check.code in TOLERABLE)


def _warnings(check: CheckResult | None) -> list[str]:
    """The codes of every refusal an agent chose to override (`[]` when the check passed or did not run)."""
    if check is None or check.ok:
        return []
    return list(dict.fromkeys(check.reasons or (check.code or "outside_opening",)))


def with_warnings(view: dict, allow_outside_opening: bool, check: CheckResult | None) -> dict:
    """A create or move asked with `allow_outside_opening` answers `warnings` (maybe `[]`); else as before."""
    return {**view, "warnings": _warnings(check)} if allow_outside_opening else view


def refused(check: CheckResult) -> Conflict:
    return Conflict(check.message or "Ce créneau n'est pas ouvert à la réservation.",
                    code=check.code or "outside_opening", details=check.details)


def taken(organisation_id, found: tuple[uuid.UUID, uuid.UUID] | None) -> Conflict:
    # Another organisation's RDV (an agent working for two organisations) stays anonymous.
    conflicting = str(found[0]) if found and found[1] == organisation_id else None
    return Conflict("Ce créneau est déjà pris : l'un des agents a déjà un rendez-vous à ce moment-là.",
                    code="slot_taken", details={"rdv_id": conflicting})


async def slot_taken(db: Database, *, organisation_id, agent_ids, starts_at, ends_at, rdv_id=None) -> Conflict:
    """Name the RDV that holds the slot (looked up after the constraint refused ours)."""
    async with unit_of_work(db, autocommit=True) as uow:
        found = await uow.rdvs.find_conflict(agent_ids=agent_ids, starts_at=starts_at, ends_at=ends_at,
                                             exclude_rdv_id=rdv_id)
    return taken(organisation_id, found)


def rdv_ends_at(check: CheckResult, starts_at: datetime, duration: int | None) -> datetime:
    if check.ends_at is not None:
        return check.ends_at
    return starts_at + timedelta(minutes=duration or check.duration_minutes or 0)
