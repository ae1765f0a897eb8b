"""Fields, relatives and effective contacts, anonymisation; the fiche's display status and stats."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest

from services.usagers.domain.errors import InvalidField, InvalidResponsible
from services.usagers.domain.fiche import RdvLine, display_status, stats
from services.usagers.domain.usager import Usager, check_responsible, clean_fields

TODAY = date(2027, 3, 1)
NOW = datetime(2027, 3, 1, 7, tzinfo=timezone.utc)


def usager(**kw) -> Usager:
    base = dict(id=uuid.uuid4(), organisation_id=uuid.uuid4(), first_name="Élodie", last_name="Martin")
    return Usager(**{**base, **kw})


def test_clean_fields_normalises_and_validates():
    clean = clean_fields({"first_name": "  Élodie  Anne ", "last_name": "Martin", "phone": "06 12 34 56 78",
                          "email": "e@Example.fr", "birth_name": "  ", "birth_date": date(1990, 5, 1)}, today=TODAY)
    assert clean == {"first_name": "Élodie Anne", "last_name": "Martin", "phone": "+33612345678",
                     "email": "e@example.fr", "birth_name": None, "birth_date": date(1990, 5, 1)}
    for bad in ({"first_name": " "}, {"last_name": None}, {"birth_date": date(2027, 3, 2)},
                {"first_name": "x" * 101}, {"notify_by_sms": None}):
        with pytest.raises(InvalidField):
            clean_fields(bad, today=TODAY)


def test_a_relative_without_contacts_is_reached_through_the_responsible():
    child = usager(responsible_id=uuid.uuid4(), responsible_email="parent@example.fr",
                   responsible_phone="+33612345678")
    assert (child.effective_email, child.effective_phone) == ("parent@example.fr", "+33612345678")
    grown = usager(responsible_id=uuid.uuid4(), email="me@example.fr", responsible_email="parent@example.fr",
                   responsible_phone="+33612345678")
    assert (grown.effective_email, grown.effective_phone) == ("me@example.fr", "+33612345678")
    alone = usager(email=None, phone=None)
    assert (alone.effective_email, alone.effective_phone) == (None, None)


def test_responsible_rules():
    parent = usager()
    check_responsible(usager_id=uuid.uuid4(), responsible=parent, has_relatives=False)
    with pytest.raises(InvalidResponsible):
        check_responsible(usager_id=None, responsible=None, has_relatives=False)
    with pytest.raises(InvalidResponsible):
        check_responsible(usager_id=parent.id, responsible=parent, has_relatives=False)
    with pytest.raises(InvalidResponsible):  # one level only
        check_responsible(usager_id=None, responsible=usager(responsible_id=uuid.uuid4()), has_relatives=False)
    with pytest.raises(InvalidResponsible):  # a responsible cannot become a relative
        check_responsible(usager_id=uuid.uuid4(), responsible=parent, has_relatives=True)
    with pytest.raises(InvalidResponsible):
        check_responsible(usager_id=None, responsible=parent.anonymised(at=NOW), has_relatives=False)


def test_anonymisation_wipes_personal_data_and_keeps_the_id():
    u = usager(email="e@example.fr", phone="+33612345678", birth_date=date(1990, 1, 1), address="1 rue",
               birth_name="Dupont", responsible_id=uuid.uuid4())
    a = u.anonymised(at=NOW)
    assert a.id == u.id and a.is_anonymized
    payload = a.event_payload()
    for field in ("email", "phone", "birth_date", "address", "birth_name", "responsible_id",
                  "effective_email", "effective_phone"):
        assert payload[field] is None
    assert payload["first_name"] == payload["last_name"] == ""


def test_event_payload_has_the_contract_fields():
    payload = usager(birth_date=date(1990, 1, 2)).event_payload()
    assert set(payload) >= {"id", "first_name", "last_name", "birth_date", "email", "phone", "notify_by_sms",
                            "notify_by_email", "responsible_id", "birth_name", "address", "organisation_id"}
    assert payload["birth_date"] == "1990-01-02"


def test_display_status_reads_the_day_in_the_organisation():
    assert display_status("unknown", rdv_day=date(2027, 3, 2), today=TODAY) == "a_venir"
    assert display_status("unknown", rdv_day=TODAY, today=TODAY) == "a_renseigner"
    assert display_status("unknown", rdv_day=date(2027, 2, 1), today=TODAY) == "a_renseigner"
    assert display_status("seen", rdv_day=date(2027, 3, 2), today=TODAY) == "seen"


def test_stats_count_each_display_status():
    lines = [RdvLine(NOW, s, d) for s, d in [("unknown", "a_venir"), ("unknown", "a_renseigner"), ("seen", "seen"),
                                             ("noshow", "noshow"), ("excused", "excused"), ("revoked", "revoked"),
                                             ("seen", "seen")]]
    assert stats(lines) == {"total": 7, "seen": 2, "noshow": 1, "excused": 1, "revoked": 1, "a_venir": 1,
                            "a_renseigner": 1}
