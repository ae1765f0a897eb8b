"""Dates and times written as a French reader expects them, in the organisation's timezone."""
from __future__ import annotations

from datetime import datetime

from shared.timeutil import local

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")


def day_fr(instant: datetime, zone: str) -> str:
    """`mardi 2 mars 2027` (`lundi 1er mars 2027` on the first of the month)."""
    at = local(instant, zone)
    day = "1er" if at.day == 1 else str(at.day)
    return f"{DAYS[at.weekday()]} {day} {MONTHS[at.month - 1]} {at.year}"


def time_fr(instant: datetime, zone: str) -> str:
    """`10 h 00`."""
    at = local(instant, zone)
    return f"{at.hour} h {at.minute:02d}"


def datetime_fr(instant: datetime, zone: str) -> str:
    """`mardi 2 mars 2027 à 10 h 00`."""
    return f"{day_fr(instant, zone)} à {time_fr(instant, zone)}"


def short_datetime_fr(instant: datetime, zone: str) -> str:
    """`mar. 02/03 à 10h00`, for SMS that would not fit in 160 characters otherwise."""
    at = local(instant, zone)
    return f"{DAYS[at.weekday()][:3]}. {at.day:02d}/{at.month:02d} à {at.hour}h{at.minute:02d}"
