"""The .ics written by hand is the calendar the icalendar library builds, byte for byte (escapes,
quoting, folding at 75 octets), whatever the names, addresses and texts."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from email.utils import parseaddr

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event, vCalAddress, vText

from services.notifications.adapters.ics import PRODID, build_ics, rdv_uid
from services.notifications.domain.model import RdvView
from tests.unit.notifications.test_rules import view


def library_ics(rdv: RdvView, *, cancelled: bool, stamp: datetime, organizer: str,
                attendee: str | None = None, description: str = "") -> bytes:
    """The calendar as icalendar builds it (what build_ics did before)."""
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


def _same(rdv: RdvView, **kw) -> bytes:
    ours = build_ics(rdv, **kw)
    assert ours == library_ics(rdv, **kw)
    assert all(len(line) <= 75 for line in ours.split(b"\r\n"))
    return ours


SPECIAL = list('\\;,\n\r^"\':’ é€😀')  # escaped, quoted or multi-octet: where folding can go wrong
texts = st.text(st.one_of(st.sampled_from(SPECIAL),
                          st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")), max_size=400)
names = st.text(st.one_of(st.sampled_from(SPECIAL[2:]), st.characters(blacklist_categories=("Cs", "Cc"))),
                min_size=1, max_size=90)


@settings(max_examples=300, deadline=None)
@given(organisation=names, motif=names, service=names, address=texts, description=texts,
       location_type=st.sampled_from(["public_office", "phone", "home", "visio"]),
       version=st.integers(-1, 10_000), cancelled=st.booleans(), minutes=st.integers(0, 10**6),
       micro=st.integers(0, 999_999), attendee=st.one_of(st.none(), st.emails()))
def test_hand_written_ics_is_the_library_calendar(organisation, motif, service, address, description,
                                                   location_type, version, cancelled, minutes, micro, attendee):
    start = datetime(2027, 3, 2, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    rdv = view(organisation_name=organisation, motif_name=motif, service_name=service, lieu_address=address,
               location_type=location_type, version=version, starts_at=start, ends_at=start + timedelta(minutes=45))
    stamp = datetime(2027, 3, 1, 7, 0, 12, micro, tzinfo=timezone(timedelta(hours=1)))
    _same(rdv, cancelled=cancelled, stamp=stamp, organizer="Département Test <rdv@test.rdv>", attendee=attendee,
          description=description)


def test_a_fold_never_separates_an_escape_from_its_character():
    for n in range(55, 70):
        ics = _same(view(), cancelled=False, stamp=datetime(2027, 3, 1, tzinfo=timezone.utc), organizer="rdv@x.fr",
                    description="é" * 3 + "x" * n + ";,\\" * 4, attendee=None)
        assert b"\\\r\n " not in ics


def test_a_usual_confirmation_reads_as_one_event():
    rdv = view(id=uuid.uuid4(), version=2, organisation_name="Département du Nord, « PMI »")
    ics = _same(rdv, cancelled=False, stamp=datetime(2027, 3, 1, 7, 0, tzinfo=timezone.utc),
                organizer="rdv@example.fr", attendee="elodie@example.fr",
                description="Bonjour Élodie Martin,\n\nVotre rendez-vous est confirmé ; à bientôt.\\")
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["uid"]) == f"rdv-{rdv.id}@rdv" and int(event["sequence"]) == 2
    assert event["organizer"].params["cn"] == "Département du Nord, « PMI »"
    assert str(event["description"]).endswith("confirmé ; à bientôt.\\")
    assert event.decoded("dtstart") == rdv.starts_at and str(event["location"]) == rdv.place
