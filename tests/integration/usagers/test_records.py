"""Create, read, update, anonymise usagers over HTTP; relatives and their effective contacts."""
from __future__ import annotations

import uuid

from tests.support.system import wait_until


def test_create_normalises_the_phone_and_flags_possible_duplicates(desk):
    first = desk.create(first_name="Élodie", last_name="Martin", birth_date="1990-05-01",
                        phone="06 12 34 56 78", email="Elodie.Martin@Example.FR")
    assert first["phone"] == "+33612345678"
    assert first["email"] == "Elodie.Martin@example.fr"
    assert first["possible_duplicates"] == []
    assert first["notify_by_sms"] is True and first["effective_phone"] == "+33612345678"

    same_person = desk.create(first_name="ELODIE", last_name="martin", birth_date="1990-05-01")
    assert [d["id"] for d in same_person["possible_duplicates"]] == [first["id"]]
    same_phone = desk.create(first_name="Paul", last_name="Martin", phone="+33 6 12 34 56 78")
    assert {d["id"] for d in same_phone["possible_duplicates"]} == {first["id"]}
    other = desk.create(first_name="Élodie", last_name="Martin", birth_date="1991-05-01", phone="0772345678")
    assert other["possible_duplicates"] == []

    with desk.client() as c:
        fiche = c.get(f"/v1/usagers/{first['id']}").json()
    assert fiche["usager"]["first_name"] == "Élodie"


def test_bad_input_gets_a_stable_code_and_writes_nothing(desk):
    with desk.client() as c:
        cases = [({"first_name": "A", "last_name": "B", "phone": "12 34"}, "invalid_phone"),
                 ({"first_name": "A", "last_name": "B", "phone": "06 12 34 56 78 99"}, "invalid_phone"),
                 ({"first_name": "A", "last_name": "B", "email": "a@"}, "invalid_email"),
                 ({"first_name": " ", "last_name": "B"}, "validation_error"),
                 ({"last_name": "B"}, "validation_error"),
                 ({"first_name": "A", "last_name": "B", "birth_date": "2099-01-01"}, "validation_error"),
                 ({"first_name": "A", "last_name": "B", "birth_date": "01/02/1990"}, "validation_error"),
                 ({"first_name": "A", "last_name": "B", "responsible_id": str(uuid.uuid4())},
                  "invalid_responsible")]
        for body, code in cases:
            resp = c.post("/v1/usagers", json=body)
            assert resp.status_code == 422, (body, resp.text)
            assert resp.json()["error"]["code"] == code
            assert resp.json()["error"]["message"]
        assert c.get("/v1/usagers", params={"scope": "organisation"}).json()["total"] == 0
        assert c.get("/v1/usagers/not-a-uuid").status_code == 422
        assert c.get("/v1/usagers", params={"per_page": 500}).status_code == 422


def test_update_changes_only_the_fields_sent(desk):
    u = desk.create(first_name="Chloé", last_name="Dupont", email="chloe@example.fr", address="1 rue Haute")
    with desk.client() as c:
        resp = c.patch(f"/v1/usagers/{u['id']}", json={"phone": "06.98.76.54.32", "address": None})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert (body["phone"], body["address"], body["email"]) == ("+33698765432", None, "chloe@example.fr")
        assert c.patch(f"/v1/usagers/{u['id']}", json={"email": "nope"}).json()["error"]["code"] == "invalid_email"
        assert c.patch(f"/v1/usagers/{u['id']}", json={"first_name": ""}).status_code == 422
        assert c.get(f"/v1/usagers/{u['id']}").json()["usager"]["email"] == "chloe@example.fr"
    updated = wait_until(lambda: [e for e in desk.outbox("usagers.usager.updated")
                                  if e["data"]["usager"]["id"] == u["id"]], message="usager.updated published")
    assert updated[-1]["data"]["usager"]["phone"] == "+33698765432"
    assert updated[-1]["data"]["usager"]["organisation_id"] == str(desk.organisation_id)


def test_a_relative_without_contacts_is_reached_through_the_responsible(desk):
    parent = desk.create(first_name="Fatou", last_name="Diallo", phone="0612000001", email="fatou@example.fr")
    child = desk.create(first_name="Aïcha", last_name="Diallo", birth_date="2019-04-02",
                        responsible_id=parent["id"])
    assert (child["effective_phone"], child["effective_email"]) == ("+33612000001", "fatou@example.fr")
    assert (child["phone"], child["email"]) == (None, None)
    with desk.client() as c:
        fiche = c.get(f"/v1/usagers/{parent['id']}").json()
        assert [r["id"] for r in fiche["relatives"]] == [child["id"]]
        assert c.get(f"/v1/usagers/{child['id']}").json()["responsible"]["id"] == parent["id"]
        # one level only; not yourself; a responsible with relatives cannot become a relative
        grandchild = c.post("/v1/usagers", json={"first_name": "X", "last_name": "Y", "responsible_id": child["id"]})
        assert grandchild.json()["error"]["code"] == "invalid_responsible"
        assert c.patch(f"/v1/usagers/{parent['id']}", json={"responsible_id": parent["id"]}).status_code == 422
        other = desk.create(first_name="Moussa", last_name="Diallo")
        resp = c.patch(f"/v1/usagers/{parent['id']}", json={"responsible_id": other["id"]})
        assert resp.json()["error"]["code"] == "invalid_responsible"
        # the responsible's new phone reaches the relative, and notifications are told
        c.patch(f"/v1/usagers/{parent['id']}", json={"phone": "07 72 00 00 02"})
        assert c.get(f"/v1/usagers/{child['id']}").json()["usager"]["effective_phone"] == "+33772000002"
    events = wait_until(lambda: [e for e in desk.outbox("usagers.usager.updated")
                                 if e["data"]["usager"]["id"] == child["id"]], message="relative updated")
    assert events[-1]["data"]["usager"]["effective_phone"] == "+33772000002"


def test_anonymisation_wipes_the_person_and_is_published(desk):
    parent = desk.create(first_name="Jérôme", last_name="Lefèvre", phone="0612000003", email="jl@example.fr",
                         birth_date="1970-01-01", address="3 place de l'Église")
    child = desk.create(first_name="Léa", last_name="Lefèvre", responsible_id=parent["id"])
    with desk.client(role="basic") as c:
        assert c.delete(f"/v1/usagers/{parent['id']}").status_code == 403
    with desk.client() as c:
        resp = c.delete(f"/v1/usagers/{parent['id']}")
        assert resp.status_code == 200, resp.text
        gone = resp.json()
        assert gone["id"] == parent["id"] and gone["anonymized"] is True
        for key in ("phone", "email", "birth_date", "address", "effective_phone"):
            assert gone[key] is None
        assert gone["first_name"] == gone["last_name"] == ""
        assert c.delete(f"/v1/usagers/{parent['id']}").status_code == 200  # again: nothing more happens
        assert c.patch(f"/v1/usagers/{parent['id']}", json={"first_name": "X"}).status_code == 409
        assert c.get(f"/v1/usagers/{child['id']}").json()["usager"]["responsible_id"] is None
    assert desk.names("lefevre") == ["Léa Lefèvre"]
    assert desk.search("0612000003")["total"] == 0
    events = wait_until(lambda: desk.outbox("usagers.usager.anonymized"), message="anonymized published")
    assert [e["data"] for e in events] == [{"usager_id": parent["id"]}]


def test_another_organisations_usager_is_not_found(desk, usagers_service, infra):
    from tests.integration.usagers.conftest import Desk

    mine = desk.create(first_name="Karim", last_name="Benali")
    other = Desk(usagers_service, infra.nats_url)
    with other.client() as c:
        for method in ("get", "patch", "delete"):
            kwargs = {"json": {"first_name": "X"}} if method == "patch" else {}
            resp = getattr(c, method)(f"/v1/usagers/{mine['id']}", **kwargs)
            assert resp.status_code == 404, (method, resp.text)
            assert resp.json()["error"]["code"] == "not_found"
        resp = c.post("/v1/usagers", json={"first_name": "A", "last_name": "B", "responsible_id": mine["id"]})
        assert resp.json()["error"]["code"] == "invalid_responsible"
    assert other.search("karim")["total"] == 0
    # the same name in both: each organisation's search (words keyed by organisation) finds its own
    theirs = other.create(first_name="Karim", last_name="Benali")
    for q in ("karim", "kar ben", "Benali Karim"):
        assert [u["id"] for u in other.search(q)["items"]] == [theirs["id"]], q
        assert [u["id"] for u in desk.search(q)["items"]] == [mine["id"]], q
    with desk.svc.client() as anonymous:
        assert anonymous.get("/v1/usagers").status_code == 401


def test_find_or_create_reuses_the_usager_with_that_phone_or_email(desk):
    with desk.client(kind="public") as c:
        first = c.post("/v1/usagers/find-or-create",
                       json={"first_name": "Noémie", "last_name": "Roux", "phone": "06 55 44 33 22"})
        assert first.status_code == 201, first.text
        again = c.post("/v1/usagers/find-or-create",
                       json={"first_name": "noemie", "last_name": "ROUX", "phone": "+33655443322"})
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        with desk.client() as agent:
            agent.patch(f"/v1/usagers/{first.json()['id']}", json={"email": "noemie@example.fr"})
        by_email = c.post("/v1/usagers/find-or-create", json={"first_name": "Noémie", "last_name": "Roux",
                                                              "phone": "0755443322", "email": "NOEMIE@example.fr"})
        assert by_email.json()["id"] == first.json()["id"]
        someone_else = c.post("/v1/usagers/find-or-create",
                              json={"first_name": "Hugo", "last_name": "Roux", "phone": "0655443399"})
        assert someone_else.status_code == 201 and someone_else.json()["id"] != first.json()["id"]
        bad = c.post("/v1/usagers/find-or-create", json={"first_name": "A", "last_name": "B", "phone": "12"})
        assert bad.json()["error"]["code"] == "invalid_phone"
        # the public identity does not reach the agents' routes
        assert c.get("/v1/usagers").status_code == 401


def test_concurrent_online_bookings_with_one_phone_make_one_usager(desk):
    from concurrent.futures import ThreadPoolExecutor

    def book(i: int) -> str:
        with desk.client(kind="public") as c:
            resp = c.post("/v1/usagers/find-or-create",
                          json={"first_name": "Inès", "last_name": "Traoré", "phone": "06 44 55 66 77"})
            assert resp.status_code in (200, 201), resp.text
            return resp.json()["id"]

    with ThreadPoolExecutor(6) as pool:
        ids = set(pool.map(book, range(6)))
    assert len(ids) == 1
    assert desk.search("0644556677")["total"] == 1
