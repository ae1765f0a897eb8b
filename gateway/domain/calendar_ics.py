"""An agent's RDVs as an iCalendar subscription (METHOD:PUBLISH), written with shared.ical.

The bytes depend only on the RDVs and names given (DTSTAMP is the RDV's creation instant, events
are sorted), so that a hash of the body is a stable ETag."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.ical import lines_to_bytes, text, utc

PRODID = "-//rdv//agenda//FR"
CANCELLED = ("excused", "revoked")
STATUS_LABELS = {"unknown": "à venir ou à renseigner", "seen": "honoré", "noshow": "absence non excusée",
                 "excused": "annulé (excusé)", "revoked": "annulé"}


@dataclass(frozen=True)
class FeedRdv:
    id: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    status: str
    motif: str
    place: str  # the lieu's name and address, or ""
    usagers: tuple[str, ...]  # names, or () when hidden


def rdv_uid(rdv_id: str) -> str:
    """The UID the notifications' .ics use too: a client that has both keeps one event."""
    return f"rdv-{rdv_id}@rdv"


def feed_ics(rdvs: list[FeedRdv], *, calendar_name: str, timezone: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{text(PRODID)}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{text(calendar_name)}", f"X-WR-TIMEZONE:{text(timezone)}",
             "REFRESH-INTERVAL;VALUE=DURATION:PT15M", "X-PUBLISHED-TTL:PT15M"]
    for rdv in sorted(rdvs, key=lambda r: (r.starts_at, r.id)):
        summary = f"RDV {rdv.motif}" + (f" - {', '.join(rdv.usagers)}" if rdv.usagers else "")
        description = [f"Motif : {rdv.motif}", f"Statut : {STATUS_LABELS.get(rdv.status, rdv.status)}"]
        if rdv.usagers:
            description.insert(1, f"Usager(s) : {', '.join(rdv.usagers)}")
        lines += ["BEGIN:VEVENT", f"UID:{text(rdv_uid(rdv.id))}", f"DTSTAMP:{utc(rdv.created_at)}",
                  f"DTSTART:{utc(rdv.starts_at)}", f"DTEND:{utc(rdv.ends_at)}", f"SUMMARY:{text(summary)}",
                  f"DESCRIPTION:{text(chr(10).join(description))}"]
        if rdv.place:
            lines.append(f"LOCATION:{text(rdv.place)}")
        lines += [f"STATUS:{'CANCELLED' if rdv.status in CANCELLED else 'CONFIRMED'}", "TRANSP:OPAQUE",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return lines_to_bytes(lines)
