"""Entities of the availability service: lieux, motifs, plages, absences, busy RDVs."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time

from services.availability.domain import recurrence as rec_mod
from services.availability.domain.errors import InvalidRule
from services.availability.domain.recurrence import Recurrence

LOCATION_TYPES = ("public_office", "phone", "home", "visio")
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2200, 12, 31)  # days the service reasons about (RDVs: 2000..2200)


def check_day(field: str, day: date | None) -> None:
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidRule(field, "Date hors de la période prise en charge (1970 à 2200).")
ACTIVE_STATUSES = ("unknown", "seen", "noshow")


@dataclass
class Lieu:
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    address: str
    phone: str | None = None


@dataclass
class Motif:
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    service_id: uuid.UUID
    duration_minutes: int
    location_type: str
    color: str | None = None
    reservable_online: bool = False
    min_booking_delay_minutes: int = 30
    max_booking_delay_days: int = 90


@dataclass
class Plage:
    """An opening period of one agent at one lieu, for some motifs, once or repeated."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    agent_id: uuid.UUID
    lieu_id: uuid.UUID
    motif_ids: list[uuid.UUID]
    title: str
    first_day: date
    start_time: time
    end_time: time
    recurrence: Recurrence | None
    timezone: str

    def check(self) -> None:
        if not self.motif_ids:
            raise InvalidRule("motif_ids", "Choisissez au moins un motif.")
        if self.end_time <= self.start_time:
            raise InvalidRule("end_time", "L'heure de fin doit être après l'heure de début.")
        check_day("first_day", self.first_day)
        check_day("recurrence.until", self.recurrence.until if self.recurrence else None)
        rec_mod.check_first_day(self.first_day, self.recurrence)

    @property
    def last_day(self) -> date | None:
        return rec_mod.last_day(self.first_day, self.recurrence)


@dataclass
class Absence:
    """A period when an agent is closed: once (possibly over several days) or recurring within one day."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    agent_id: uuid.UUID
    title: str
    first_day: date
    start_time: time
    end_day: date
    end_time: time
    recurrence: Recurrence | None
    timezone: str

    def check(self) -> None:
        if (self.end_day, self.end_time) <= (self.first_day, self.start_time):
            raise InvalidRule("end_time", "La fin de l'indisponibilité doit être après son début.")
        if self.recurrence is not None and self.end_day != self.first_day:
            raise InvalidRule("end_day", "Une indisponibilité récurrente doit tenir dans une seule journée.")
        check_day("first_day", self.first_day)
        check_day("end_day", self.end_day)
        check_day("recurrence.until", self.recurrence.until if self.recurrence else None)
        rec_mod.check_first_day(self.first_day, self.recurrence)

    @property
    def last_day(self) -> date | None:
        if self.recurrence is None:
            return self.end_day
        return self.recurrence.until


@dataclass
class BusyRdv:
    """An RDV as the availability service knows it (projection of booking.rdv.*)."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    agent_ids: list[uuid.UUID]
    starts_at: datetime
    ends_at: datetime
    status: str
    version: int = 0
    motif_id: uuid.UUID | None = None
    lieu_id: uuid.UUID | None = None
    payload: dict = field(default_factory=dict)  # the RDV as booking published it (usager_ids, context...)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def is_newer(candidate: tuple[BusyRdv, datetime], current: tuple[BusyRdv, datetime]) -> bool:
    """The busy projection's rule between two states of one RDV (with their event instants): the newer is kept."""
    (rdv, at), (kept, kept_at) = candidate, current
    return rdv.version > kept.version or (rdv.version == 0 == kept.version and at > kept_at)
