"""Email contents and the .ics: French text, HTML, UID stable, SEQUENCE = version, METHOD."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from icalendar import Calendar

from services.notifications.adapters.render import render
from services.notifications.domain.model import Recipient
from tests.unit.notifications.test_rules import view

NOW = datetime(2027, 3, 1, 7, 0, tzinfo=timezone.utc)


def _ics(content) -> Calendar:
    (att,) = content.attachments
    assert att["filename"] == "rdv.ics" and att["content_type"] == "text/calendar"
    return Calendar.from_ical(att["content"])


def test_usager_email_confirmation_and_cancellation():
    rdv = view(version=3)
    to = Recipient("email", "elodie@example.fr", usager_id=uuid.uuid4(), name="Élodie Martin")
    confirmation = render("confirmation", rdv, to, now=NOW, sender="rdv <rdv@example.fr>")
    assert confirmation.subject == "Votre RDV du mardi 2 mars 2027 à 10 h 00 est confirmé"
    assert "Bonjour Élodie Martin" in confirmation.body and "12 rue de Belleville" in confirmation.body
    assert "<strong>Votre rendez-vous est confirmé.</strong>" in confirmation.html
    cal = _ics(confirmation)
    assert str(cal["method"]) == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) == f"rdv-{rdv.id}@rdv" and int(event["sequence"]) == 3
    assert event.decoded("dtstart") == rdv.starts_at

    cancelled = render("cancellation", view(id=rdv.id, version=4), to, now=NOW, sender="rdv@example.fr")
    cal = _ics(cancelled)
    (event,) = cal.walk("VEVENT")
    assert str(cal["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == f"rdv-{rdv.id}@rdv" and int(event["sequence"]) == 4
    assert "annulé" in cancelled.subject


def test_html_escapes_and_agent_email_names_usagers():
    rdv = view(lieu_name="<script>x</script>", usager_names=("Élodie Martin",))
    to = Recipient("email", "agent@example.fr", agent_id=uuid.uuid4(), name="Karim Benali")
    content = render("change", rdv, to, now=NOW, sender="rdv@example.fr")
    assert "<script>" not in content.html and "&lt;script&gt;" in content.html
    assert "Usager(s) : Élodie Martin" in content.body and content.subject.startswith("RDV modifié")


def test_sms_has_no_subject_nor_attachment():
    content = render("reminder", view(), Recipient("sms", "+33612345678", usager_id=uuid.uuid4()), now=NOW,
                     sender="x")
    assert content.subject is None and content.attachments == [] and content.body.startswith("Rappel RDV")
