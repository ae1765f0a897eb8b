"""Occurrences of plages and absences as UTC instants (epoch seconds).

Each occurrence is a local wall time on a local day, converted with the organisation's
timezone by `shared.timeutil.to_utc` (DST-safe): 09:00 stays 09:00 on both sides of a change.
"""
from __future__ import annotations

from datetime import date, time, timedelta
from functools import lru_cache
from typing import Iterable, NamedTuple

from services.availability.domain import recurrence as rec_mod
from services.availability.domain.model import Absence, Plage
from shared.timeutil import to_utc


@lru_cache(maxsize=65536)
def instant(day: date, wall: time, zone: str) -> int:
    """Epoch seconds of a wall time on a local day (cached: a search reuses few of them)."""
    return int(to_utc(day, wall, zone).timestamp())


def day_start(day: date, zone: str) -> int:
    return instant(day, time(0), zone)


_new = tuple.__new__  # a NamedTuple without its Python-level constructor: searches build thousands


class Occurrence(NamedTuple):
    start: int
    end: int
    day: date
    source: object  # the Plage or Absence


def plage_occurrences(plage: Plage, first: date, last: date) -> list[Occurrence]:
    """Occurrences of a plage on the local days first..last (inclusive)."""
    zone, start, end = plage.timezone, plage.start_time, plage.end_time
    return [_new(Occurrence, (instant(d, start, zone), instant(d, end, zone), d, plage))
            for d in rec_mod.days(plage.first_day, plage.recurrence, first, last)]


@lru_cache(maxsize=4096)
def intervals(first_day: date, rec: rec_mod.Recurrence | None, start: time, end: time, zone: str,
              first: date, last: date) -> tuple[tuple[int, int], ...]:
    """(start, end) instants of a rule's occurrences on first..last; cached: a search's plages share few rules."""
    return tuple((instant(d, start, zone), instant(d, end, zone))
                 for d in rec_mod.days(first_day, rec, first, last))


def absence_occurrences(absence: Absence, first: date, last: date) -> list[Occurrence]:
    """Occurrences of an absence that touch the local days first..last (inclusive)."""
    zone = absence.timezone
    span = (absence.end_day - absence.first_day).days
    # A one-off absence over several days may have begun before `first`.
    days = rec_mod.days(absence.first_day, absence.recurrence, first - timedelta(days=span), last)
    return [Occurrence(instant(d, absence.start_time, zone),
                       instant(d + timedelta(days=span), absence.end_time, zone), d, absence)
            for d in days]


def all_occurrences(items: Iterable[Plage | Absence], first: date, last: date) -> list[Occurrence]:
    out: list[Occurrence] = []
    for item in items:
        if isinstance(item, Plage):
            out.extend(plage_occurrences(item, first, last))
        else:
            out.extend(absence_occurrences(item, first, last))
    return out
