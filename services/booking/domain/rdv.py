"""The rendez-vous: statuses, transitions, displayed status, who may see it.

Pure Python: no database, no web framework. Days are local days of the organisation.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from shared.errors import Conflict

UNKNOWN, SEEN, NOSHOW, EXCUSED, REVOKED = "unknown", "seen", "noshow", "excused", "revoked"
STATUSES = (UNKNOWN, SEEN, NOSHOW, EXCUSED, REVOKED)
# Active RDVs hold their agents' time: the exclusion constraint applies to them only.
ACTIVE_STATUSES = frozenset({UNKNOWN, SEEN, NOSHOW})
CANCELLED_STATUSES = frozenset({EXCUSED, REVOKED})
ORIGINS = ("agent", "usager")


class RdvRuleBroken(Conflict):
    """A business rule refused the command: 409 with the contract's stable error code."""


class InvalidTransition(RdvRuleBroken):
    code = "invalid_transition"


def is_active(status: str) -> bool:
    return status in ACTIVE_STATUSES


def check_transition(current: str, target: str, *, rdv_day: date, today: date) -> None:
    """Refuse a status change the contract does not allow.

    unknown -> excused|revoked at any time; unknown -> seen|noshow once the RDV's
    day has come (organisation timezone); any status -> unknown (reset).
    """
    if target not in STATUSES:
        raise InvalidTransition(f"Statut « {target} » inconnu.")
    if target == UNKNOWN:
        return
    if current != UNKNOWN:
        reset = "à venir" if today < rdv_day else "à renseigner"
        raise InvalidTransition(
            f"Impossible de passer du statut « {label(current)} » à « {label(target)} » : "
            f"remettez d'abord le rendez-vous « {reset} ».",
            details={"from": current, "to": target})
    if target in (SEEN, NOSHOW) and today < rdv_day:
        raise InvalidTransition(
            f"Le jour de ce rendez-vous ({rdv_day.strftime('%d/%m/%Y')}) n'est pas encore arrivé : "
            f"il ne peut être marqué « {label(target)} » qu'à partir de ce jour-là.",
            details={"from": current, "to": target, "rdv_day": rdv_day.isoformat()})


def allowed_statuses(current: str, *, rdv_day: date, today: date) -> list[str]:
    """The statuses, other than the current one, that `check_transition` accepts now (contract order)."""
    allowed = []
    for target in STATUSES:
        if target == current:
            continue
        try:
            check_transition(current, target, rdv_day=rdv_day, today=today)
        except InvalidTransition:
            continue
        allowed.append(target)
    return allowed


def display_status(status: str, *, rdv_day: date, today: date) -> str:
    """`a_venir` before the RDV's local day, `a_renseigner` from its day on; else the status."""
    if status != UNKNOWN:
        return status
    return "a_venir" if today < rdv_day else "a_renseigner"


_LABELS = {UNKNOWN: "à venir", SEEN: "honoré", NOSHOW: "absence non excusée",
           EXCUSED: "annulé (excusé)", REVOKED: "annulé (par le service)"}


def label(status: str) -> str:
    return _LABELS.get(status, status)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: an agent (basic or admin) or the platform itself."""

    organisation_id: uuid.UUID
    agent_id: uuid.UUID | None
    is_admin: bool
    service_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Rdv:
    id: uuid.UUID
    organisation_id: uuid.UUID
    motif_id: uuid.UUID
    service_id: uuid.UUID
    lieu_id: uuid.UUID | None
    agent_ids: tuple[uuid.UUID, ...]
    usager_ids: tuple[uuid.UUID, ...]
    starts_at: datetime
    ends_at: datetime
    status: str
    context: str | None
    origin: str
    created_at: datetime
    created_by: uuid.UUID | None
    cancelled_at: datetime | None
    version: int

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at) / timedelta(minutes=1))

    @property
    def active(self) -> bool:
        return is_active(self.status)

    def visible_to(self, viewer: Viewer) -> bool:
        """Admin: the organisation's RDVs; basic agent: their services' motifs and their own RDVs."""
        if viewer.organisation_id != self.organisation_id:
            return False
        if viewer.is_admin:
            return True
        return self.service_id in viewer.service_ids or (
            viewer.agent_id is not None and viewer.agent_id in self.agent_ids)

    def with_status(self, target: str, *, at: datetime) -> "Rdv":
        cancelled_at = at if target in CANCELLED_STATUSES else None
        return replace(self, status=target, cancelled_at=cancelled_at, version=self.version + 1)


def normalise_ids(ids) -> tuple[uuid.UUID, ...]:
    """Drop duplicates, keep the order given."""
    return tuple(dict.fromkeys(ids))


class SlotTaken(RdvRuleBroken):
    """The database's exclusion constraint refused an overlap of one agent's active RDVs."""

    code = "slot_taken"


class DuplicateIdempotencyKey(Exception):
    """Another create with the same Idempotency-Key committed first."""


class RetryTransaction(Exception):
    """PostgreSQL aborted the transaction to break a deadlock: run it again.

    Two transactions inserting conflicting rows at the same moment may each wait for the
    other while checking the exclusion constraint; PostgreSQL aborts one of them. Run again,
    it either fits (the other rolled back) or meets the committed row (a plain violation).
    """


@dataclass(frozen=True)
class RdvFilters:
    """What a list of RDVs asks for (besides what its viewer may see)."""

    agent_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    motif_id: uuid.UUID | None = None
    lieu_id: uuid.UUID | None = None
    usager_id: uuid.UUID | None = None
    statuses: tuple[str, ...] = ()
    starts_from: datetime | None = None
    starts_before: datetime | None = None
