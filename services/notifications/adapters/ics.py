"""The .ics attached to emails: one UID per RDV, SEQUENCE = the RDV's version.

Written directly as RFC 5545 text (`shared.ical`: escaped TEXT values, RFC 6868 parameter values, lines
folded at 75 octets): the icalendar library built the same calendar ten times slower, and two are made
per booking. tests/unit/notifications/test_ics.py checks that the bytes are those icalendar (pinned)
writes for the same calendar.
"""
from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache

from services.notifications.domain.model import RdvView
from shared.ical import lines_to_bytes
from shared.ical import param as _param
from shared.ical import text as _text
from shared.ical import utc as _utc

PRODID = "-//rdv//notifications//FR"


def rdv_uid(rdv_id) -> str:
    return f"rdv-{rdv_id}@rdv"


def build_ics(rdv: RdvView, *, cancelled: bool, stamp: datetime, organizer: str,
              attendee: str | None = None, description: str = "") -> bytes:
    """A METHOD REQUEST (or CANCEL) calendar with one VEVENT for this RDV."""
    method = "CANCEL" if cancelled else "REQUEST"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{_text(PRODID)}", f"METHOD:{method}", "BEGIN:VEVENT",
        f"SUMMARY:{_text(f'RDV {rdv.motif_name} - {rdv.service_name}')}",
        f"DTSTART:{_utc(rdv.starts_at)}", f"DTEND:{_utc(rdv.ends_at)}", f"DTSTAMP:{_utc(stamp)}",
        f"UID:{_text(rdv_uid(rdv.id))}", f"SEQUENCE:{max(int(rdv.version), 0)}",
    ]
    if attendee:
        lines.append(f"ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:{attendee}")
    if description:
        lines.append(f"DESCRIPTION:{_text(description)}")
    lines += [f"LOCATION:{_text(rdv.place)}",
              f"ORGANIZER;CN={_param(rdv.organisation_name)}:mailto:{_organizer_email(organizer)}",
              f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}", "END:VEVENT", "END:VCALENDAR"]
    return lines_to_bytes(lines)


@lru_cache(maxsize=16)
def _organizer_email(organizer: str) -> str:
    _, email = parseaddr(organizer)
    return email or organizer
