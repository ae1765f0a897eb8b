"""Pure rules of the notifications service: who gets what, when; phones; SMS text; French dates."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.notifications.domain.frenchdate import datetime_fr
from services.notifications.domain.gsm import is_gsm7, septets, to_gsm7
from services.notifications.domain.model import Contact, RdvView
from services.notifications.domain.phones import is_mobile, mask
from services.notifications.domain.rules import (plan_for, reminder_due_at, reminder_still_relevant,
                                                 retry_delay_seconds, should_schedule_reminder, usager_recipients)
from services.notifications.domain.sms import sms_text

NOW = datetime(2027, 3, 1, 7, 0, tzinfo=timezone.utc)
START = datetime(2027, 3, 2, 9, 0, tzinfo=timezone.utc)  # mardi 2 mars 2027, 10 h 00 à Paris
A, B = uuid.uuid4(), uuid.uuid4()


def view(**kw) -> RdvView:
    base = dict(id=uuid.uuid4(), version=1, starts_at=START, ends_at=START + timedelta(minutes=30), status="unknown",
                timezone="Europe/Paris", organisation_name="Démo", service_name="Protection maternelle et infantile",
                service_short_name="PMI", motif_name="Consultation", location_type="public_office",
                lieu_name="MDS Belleville", lieu_address="12 rue de Belleville, 75020 Paris",
                lieu_phone="01 40 00 00 01")
    base.update(kw)
    return RdvView(**base)


def test_french_date_in_the_organisation_timezone():
    assert datetime_fr(START, "Europe/Paris") == "mardi 2 mars 2027 à 10 h 00"
    assert datetime_fr(datetime(2027, 3, 1, 8, 5, tzinfo=timezone.utc), "Europe/Paris") == "lundi 1er mars 2027 à 9 h 05"
    # After the spring DST change Paris is UTC+2.
    assert datetime_fr(datetime(2027, 4, 6, 8, 0, tzinfo=timezone.utc), "Europe/Paris") == "mardi 6 avril 2027 à 10 h 00"
    assert datetime_fr(START, "America/Cayenne") == "mardi 2 mars 2027 à 6 h 00"


def test_only_french_mobiles_get_sms():
    assert is_mobile("+33612345678") and is_mobile("07 11 22 33 44") and is_mobile("0761223344")
    assert is_mobile("+590690001122")  # Guadeloupe mobile
    assert is_mobile("+262692123456")  # La Réunion mobile
    assert not is_mobile("01 40 00 00 01")
    assert not is_mobile("+590590001122")  # Guadeloupe landline
    assert not is_mobile("+447700900123")  # a UK mobile
    assert not is_mobile(None) and not is_mobile("n'importe quoi")


def test_recipients_respect_opt_outs_and_mobiles():
    u1 = Contact(A, "Élodie", "Martin", "e@example.fr", "+33612345678", notify_by_sms=True, notify_by_email=False)
    u2 = Contact(B, "Jean", "Dubois", "j@example.fr", "+33140000001", notify_by_sms=True, notify_by_email=True)
    got = {(r.channel, r.address) for r in usager_recipients([u1, u2])}
    assert got == {("sms", "+33612345678"), ("email", "j@example.fr")}


def test_same_contact_twice_is_one_recipient():
    u1 = Contact(A, "Élodie", "Martin", "e@example.fr", "06 12 34 56 78", True, True)
    u2 = Contact(B, "Élodie", "Martin", "E@example.fr", "+33612345678", True, True)  # a relative, same contacts
    assert len(usager_recipients([u1, u2])) == 2


def test_created_confirms_usagers_and_other_agents_and_plans_reminder():
    plan = plan_for(event_type="booking.rdv.created", status="unknown", previous_status=None, changes={},
                    agent_ids=[A, B], actor_agent_id=A, starts_at=START + timedelta(days=5), now=NOW)
    assert plan.usager_kind == "confirmation" and plan.agent_kinds == {B: "confirmation"}
    assert plan.reminder == "schedule"


def test_update_without_move_tells_nobody_but_agent_changes_are_told():
    plan = plan_for(event_type="booking.rdv.updated", status="unknown", previous_status=None,
                    changes={"context": ["a", "b"]}, agent_ids=[A], actor_agent_id=None, starts_at=START, now=NOW)
    assert plan.usager_kind is None and plan.agent_kinds == {}
    plan = plan_for(event_type="booking.rdv.updated", status="unknown", previous_status=None,
                    changes={"agent_ids": [[str(A)], [str(B)]]}, agent_ids=[B], actor_agent_id=None,
                    starts_at=START, now=NOW)
    assert plan.usager_kind is None and plan.agent_kinds == {A: "cancellation", B: "confirmation"}


def test_move_and_cancellation():
    plan = plan_for(event_type="booking.rdv.updated", status="unknown", previous_status=None,
                    changes={"starts_at": ["x", "y"]}, agent_ids=[A], actor_agent_id=None, starts_at=START, now=NOW)
    assert plan.usager_kind == "change" and plan.agent_kinds == {A: "change"}
    plan = plan_for(event_type="booking.rdv.status_changed", status="excused", previous_status="unknown", changes={},
                    agent_ids=[A], actor_agent_id=A, starts_at=START, now=NOW)
    assert plan.usager_kind == "cancellation" and plan.agent_kinds == {} and plan.reminder == "cancel"
    plan = plan_for(event_type="booking.rdv.status_changed", status="revoked", previous_status="excused", changes={},
                    agent_ids=[A], actor_agent_id=None, starts_at=START, now=NOW)
    assert plan.usager_kind is None


def test_nothing_for_an_rdv_that_has_started():
    for event in ("booking.rdv.created", "booking.rdv.updated", "booking.rdv.status_changed"):
        plan = plan_for(event_type=event, status="revoked" if "status" in event else "unknown",
                        previous_status="unknown", changes={"starts_at": ["a", "b"]}, agent_ids=[A],
                        actor_agent_id=None, starts_at=NOW, now=NOW)
        assert plan.usager_kind is None and plan.agent_kinds == {}


def test_reminder_timing():
    assert reminder_due_at(START) == START - timedelta(hours=48)
    assert should_schedule_reminder(NOW + timedelta(hours=49), NOW)
    assert not should_schedule_reminder(NOW + timedelta(hours=47), NOW)
    assert reminder_still_relevant(starts_at=NOW + timedelta(minutes=1), status="unknown", now=NOW)
    assert not reminder_still_relevant(starts_at=NOW, status="unknown", now=NOW)
    assert not reminder_still_relevant(starts_at=NOW + timedelta(hours=1), status="revoked", now=NOW)


def test_backoff_grows_and_is_capped():
    delays = [retry_delay_seconds(n, base=30, cap=3600) for n in range(1, 10)]
    assert delays[:4] == [30, 60, 120, 240] and max(delays) == 3600


def test_sms_names_service_date_place_and_phone_in_one_gsm7_sms():
    text = sms_text("confirmation", view())
    assert is_gsm7(text) and septets(text) <= 160
    assert "mardi 2 mars 2027 à 10 h 00" in text and "12 rue de Belleville" in text and "01 40 00 00 01" in text
    assert "Protection maternelle et infantile" in text or "PMI" in text
    assert "RDV téléphonique" in sms_text("reminder", view(location_type="phone"))
    assert "à domicile" in sms_text("change", view(location_type="home"))
    assert "visio" in sms_text("confirmation", view(location_type="visio"))
    assert "annulé" in sms_text("cancellation", view())


@given(address=st.text(min_size=0, max_size=300), service=st.text(min_size=1, max_size=120))
def test_sms_is_always_gsm7_and_fits_when_it_can(address, service):
    text = sms_text("reminder", view(lieu_address=address, service_name=service, service_short_name="PMI"))
    assert is_gsm7(text)
    assert septets(text) <= 160


def test_gsm7_transliteration_and_masks():
    assert to_gsm7("Maïté « ça » – œuvre") == 'Maité " ca " - oeuvre'
    assert mask("sms", "+33612345678") == "+336******78"
    assert mask("email", "jeanne@example.fr") == "j*****@example.fr"


def test_a_very_long_address_is_cut_to_fit_exactly():
    for kind in ("confirmation", "change", "reminder"):
        for length in range(80, 300, 7):
            text = sms_text(kind, view(lieu_address="0" * length, service_name="P", service_short_name="PMI"))
            assert septets(text) <= 160, (kind, length, text)
            assert text.endswith("Infos : 01 40 00 00 01") or "Infos" not in text
