"""The fiche's RDV history: display status (in the organisation's timezone) and stats."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

def display_status(status: str, *, rdv_day: date, today: date) -> str:
    """`unknown` reads `a_venir` before the RDV's day, `a_renseigner` from that day on."""
    if status != "unknown":
        return status
    return "a_venir" if rdv_day > today else "a_renseigner"


@dataclass(frozen=True)
class RdvLine:
    starts_at: datetime
    status: str
    display_status: str


def stats(lines: list[RdvLine]) -> dict[str, int]:
    counts = {"total": len(lines), "seen": 0, "noshow": 0, "excused": 0, "revoked": 0,
              "a_venir": 0, "a_renseigner": 0}
    for line in lines:
        if line.display_status in counts:
            counts[line.display_status] += 1
    return counts


def is_upcoming(starts_at: datetime, now: datetime) -> bool:
    return starts_at >= now
