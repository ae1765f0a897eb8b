"""Public holidays per zone (the `holidays` package, French names)."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

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


def is_zone(zone: str) -> bool:
    return zone in ZONES


@lru_cache(maxsize=256)
def of_year(year: int, zone: str) -> tuple[tuple[date, str], ...]:
    """Holidays of one year in a zone, sorted by day: ((day, French name), ...)."""
    found = holidays.France(years=year, subdiv=ZONES[zone], language="fr")
    return tuple(sorted(found.items()))


def between(first: date, last: date, zone: str) -> dict[date, str]:
    """Holidays of a zone on the days first..last (inclusive)."""
    out: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        for day, name in of_year(year, zone):
            if first <= day <= last:
                out[day] = name
    return out
