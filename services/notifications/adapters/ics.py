"""The .ics attached to emails: one UID per RDV, SEQUENCE = the RDV's version."""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parseaddr

from icalendar import Calendar, Event, vCalAddress, vText

from services.notifications.domain.model import RdvView

PRODID = "-//rdv//notifications//FR"


def rdv_uid(rdv_id) -> str:
    return f"rdv-{rdv_id}@rdv"


def build_ics(rdv: RdvView, *, cancelled: bool, stamp: datetime, organizer: str,
              attendee: str | None = None, description: str = "") -> bytes:
    """A METHOD REQUEST (or CANCEL) calendar with one VEVENT for this RDV."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", rdv_uid(rdv.id))
    event.add("sequence", max(int(rdv.version), 0))
    event.add("dtstamp", stamp.astimezone(timezone.utc))
    event.add("dtstart", rdv.starts_at.astimezone(timezone.utc))
    event.add("dtend", rdv.ends_at.astimezone(timezone.utc))
    event.add("summary", f"RDV {rdv.motif_name} - {rdv.service_name}")
    event.add("location", rdv.place)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    _, organizer_email = parseaddr(organizer)
    org = vCalAddress(f"mailto:{organizer_email or organizer}")
    org.params["cn"] = vText(rdv.organisation_name)
    event["organizer"] = org
    if attendee:
        att = vCalAddress(f"mailto:{attendee}")
        att.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", att, encode=0)
    cal.add_component(event)
    return cal.to_ical()
