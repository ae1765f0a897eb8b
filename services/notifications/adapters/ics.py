"""The .ics attached to emails: one UID per RDV, SEQUENCE = the RDV's version.

Written directly as RFC 5545 text (escaped TEXT values, RFC 6868 parameter values, lines folded
at 75 octets): the icalendar library built the same calendar ten times slower, and two are made
per booking. tests/unit/notifications/test_ics.py checks that the bytes are those icalendar (pinned)
writes for the same calendar.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parseaddr
from functools import lru_cache

from services.notifications.domain.model import RdvView

PRODID = "-//rdv//notifications//FR"

_QUOTABLE = re.compile("[,;:’]")  # noqa: RUF001 (the typographic apostrophe, as icalendar quotes it)


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
    return "".join(_fold(line) + "\r\n" for line in lines).encode()


@lru_cache(maxsize=16)
def _organizer_email(organizer: str) -> str:
    _, email = parseaddr(organizer)
    return email or organizer


def _utc(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    return (value.replace("\\N", "\n").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _param(value: str) -> str:
    """A CN parameter value: RFC 6868 escapes (^^, ^', ^n), quoted when it holds , ; : ’ space or '."""
    quote = " " in value or "'" in value
    value = (value.replace("^", "^^").replace("\r\n", "^n").replace("\r", "^n").replace("\n", "^n")
             .replace('"', "^'"))
    return f'"{value}"' if quote or _QUOTABLE.search(value) else value


def _fold(line: str, limit: int = 75) -> str:
    """Lines of 75 octets or more continue on the next line after CRLF + space (RFC 5545 3.1), cut
    between characters, never between a backslash or caret and the character it escapes."""
    data = line.encode()
    if len(data) < limit:
        return line
    parts: list[bytes] = []
    start = 0
    while len(data) - start >= limit:
        end = start + limit - 1
        while data[end] & 0xC0 == 0x80:  # not inside a character
            end -= 1
        if data[end - 1] in b"\\^" and end - 1 > start:  # carry the escape over with its character
            end -= 1
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode()
