"""Public holidays per zone: the `holidays` package (French names) for the years it covers, our own
computation of the statutory days after it stops.

Two observances per zone: `statutory`, the days the law makes public holidays there (Code du travail
L3133-1, the local law of Alsace-Moselle, the abolition-of-slavery day of each overseas department, law
83-550); `local`, those plus the days observed locally without being statutory (Mi-Carême, Vendredi saint
in Guadeloupe, Fête de Victor Schœlcher in Guadeloupe and Martinique). Elsewhere both are the same days.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.easter import easter

# Contract zone -> the package's subdivision of France (None = metropolitan France).
ZONES: dict[str, str | None] = {
    "metropole": None,
    "alsace-moselle": "57",  # adds Vendredi saint and 26 décembre (Saint-Étienne)
    "guadeloupe": "GP",
    "martinique": "MQ",
    "guyane": "973",
    "la-reunion": "RE",
    "mayotte": "YT",
}
OBSERVANCES = ("statutory", "local")
DEFAULT_OBSERVANCES = "local"  # what every agenda closed on before organisations could choose

# The years the API answers for (jours-feries; every date the services accept lies inside).
FIRST_YEAR, LAST_YEAR = 1900, 2200
_PACKAGE_LAST_YEAR = holidays.France.end_year

# Days observed locally, not statutory: (zone, French name as the package spells it).
_LOCAL_ONLY = {("guadeloupe", "Mi-Carême"), ("guadeloupe", "Vendredi saint"),
               ("guadeloupe", "Fête de Victor Schoelcher"), ("martinique", "Fête de Victor Schoelcher")}
# Abolition of slavery (law 83-550, decree 83-1003 and, for Mayotte, its own decree): (month, day).
_ABOLITION = {"guadeloupe": (5, 27), "martinique": (5, 22), "guyane": (6, 10), "la-reunion": (12, 20),
              "mayotte": (4, 27)}
_ABOLITION_NAME = "Abolition de l'esclavage"
_SAME_DAY = "; "  # how the package names a day that two holidays share


def is_zone(zone: str) -> bool:
    return zone in ZONES


def is_statutory(zone: str, name: str) -> bool:
    """False for a holiday that is only observed locally in that zone."""
    return (zone, name) not in _LOCAL_ONLY


def is_statutory_day(zone: str, name: str) -> bool:
    """True when one of the holidays of a day (named "A; B" when two share it) is statutory."""
    return any(is_statutory(zone, part) for part in name.split(_SAME_DAY))


@lru_cache(maxsize=512)
def of_year(year: int, zone: str, observances: str = DEFAULT_OBSERVANCES) -> tuple[tuple[date, str], ...]:
    """Holidays of one year in a zone, sorted by day: ((day, French name), ...)."""
    if year <= _PACKAGE_LAST_YEAR:
        found = holidays.France(years=year, subdiv=ZONES[zone], language="fr").items()
    else:
        found = computed(year, zone).items()
    if observances != "local":
        found = ((day, _statutory_names(zone, name)) for day, name in found)
    return tuple(sorted((day, name) for day, name in found if name))


def _statutory_names(zone: str, name: str) -> str:
    """The statutory part of a day's name ("" when none): two holidays on one day share it, "A; B"."""
    return _SAME_DAY.join(part for part in name.split(_SAME_DAY) if is_statutory(zone, part))


def computed(year: int, zone: str) -> dict[date, str]:
    """Every day of one (present-law) year in a zone, statutory and local, as the package names them."""
    sunday = easter(year)
    named = [(date(year, 1, 1), "Jour de l'an"), (sunday + timedelta(days=1), "Lundi de Pâques"),
             (date(year, 5, 1), "Fête du Travail"), (sunday + timedelta(days=39), "Ascension"),
             (date(year, 5, 8), "Fête de la Victoire"), (sunday + timedelta(days=50), "Lundi de Pentecôte"),
             (date(year, 7, 14), "Fête nationale"), (date(year, 8, 15), "Assomption"),
             (date(year, 11, 1), "Toussaint"), (date(year, 11, 11), "Armistice"), (date(year, 12, 25), "Noël")]
    if zone in ("alsace-moselle", "guadeloupe"):
        named.append((sunday - timedelta(days=2), "Vendredi saint"))
    if zone == "alsace-moselle":
        named.append((date(year, 12, 26), "Saint-Étienne"))
    if zone == "guadeloupe":
        named.append((sunday - timedelta(days=24), "Mi-Carême"))  # Thursday of the third week of Lent
    if zone in ("guadeloupe", "martinique"):
        named.append((date(year, 7, 21), "Fête de Victor Schoelcher"))
    if zone in _ABOLITION:
        named.append((date(year, *_ABOLITION[zone]), _ABOLITION_NAME))
    days: dict[date, list[str]] = {}
    for day, name in named:
        days.setdefault(day, []).append(name)
    return {day: _SAME_DAY.join(sorted(names)) for day, names in days.items()}


def between(first: date, last: date, zone: str, observances: str = DEFAULT_OBSERVANCES) -> dict[date, str]:
    """Holidays of a zone on the days first..last (inclusive)."""
    out: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        for day, name in of_year(year, zone, observances):
            if first <= day <= last:
                out[day] = name
    return out
