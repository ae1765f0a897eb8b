"""Forwarding through the gateway to stand-in services: identity, agent checks, composition, 503."""
from __future__ import annotations

import threading
import time
import uuid

from shared.identity import verify
from shared.settings import SERVICE_NAMES
from tests.integration.gateway.conftest import launch_gateway
from tests.integration.gateway.echo import dead_url


def test_a_write_is_forwarded_with_identity_and_idempotency_key(gateway):
    org, admin = gateway.new_organisation(timezone="Indian/Reunion", holiday_zone="la-reunion")
    with gateway.client(admin) as c:
        service = c.post("/api/v1/services", json={"name": "PMI"}).json()
        agent, _ = gateway.new_agent(admin, service_ids=[service["id"]])
        body = {"motif_id": str(uuid.uuid4()), "agent_ids": [agent["id"]], "usager_ids": [str(uuid.uuid4())],
                "starts_at": "2027-03-02T09:00:00+04:00", "extra": "kept"}
        for _ in range(3):  # booking's first replica is down: every call still goes through
            resp = c.post("/api/v1/rdvs", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
            assert resp.status_code == 201, resp.text
        echoed = resp.json()
    assert echoed["path"] == "/v1/rdvs" and echoed["json"] == body
    assert echoed["headers"]["idempotency-key"]
    ident = verify(echoed["headers"]["x-rdv-identity"])
    assert str(ident.organisation_id) == org["id"] and ident.role == "admin" and ident.kind == "agent"
    assert ident.timezone == "Indian/Reunion" and ident.holiday_zone == "la-reunion"
    assert ident.holiday_observances == "local"


def test_the_organisations_holiday_observances_reach_the_services(gateway):
    org, admin = gateway.new_organisation(holiday_zone="guadeloupe")
    assert org["holiday_observances"] == "local"  # what agendas closed on before the choice existed
    with gateway.client(admin) as c:
        changed = c.patch("/api/v1/organisation", json={"holiday_observances": "statutory"})
        assert changed.status_code == 200 and changed.json()["holiday_observances"] == "statutory"
        assert c.get("/api/v1/organisation").json()["holiday_observances"] == "statutory"
        bad = c.patch("/api/v1/organisation", json={"holiday_observances": "toutes"})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
        echoed = c.get("/api/v1/jours-feries", params={"year": 2101, "observances": "local"}).json()
    assert echoed["query"] == [["year", "2101"], ["observances", "local"]]
    ident = verify(echoed["headers"]["x-rdv-identity"])
    assert ident.holiday_zone == "guadeloupe" and ident.holiday_observances == "statutory"


def test_the_organisations_contact_address(gateway):
    org, admin = gateway.new_organisation()
    assert org["contact_email"] is None
    with gateway.client(admin) as c:
        assert c.patch("/api/v1/organisation", json={"contact_email": "Accueil@Mairie.example"}).json()[
            "contact_email"] == "accueil@mairie.example"
        bad = c.patch("/api/v1/organisation", json={"contact_email": "accueil"})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_email"
        assert c.get("/api/v1/organisation").json()["contact_email"] == "accueil@mairie.example"
        assert c.patch("/api/v1/organisation", json={"contact_email": ""}).json()["contact_email"] is None


def test_agent_ids_of_another_organisation_are_refused_before_forwarding(gateway):
    _, admin = gateway.new_organisation()
    other, other_admin = gateway.new_organisation()
    stranger, _ = gateway.new_agent(other_admin)
    with gateway.client(admin) as c:
        body = {"motif_id": str(uuid.uuid4()), "agent_ids": [stranger["id"]], "usager_ids": [str(uuid.uuid4())],
                "starts_at": "2027-03-02T09:00:00+01:00"}
        assert c.post("/api/v1/rdvs", json=body).status_code == 404
        assert c.get("/api/v1/rdvs", params={"agent_id": stranger["id"]}).status_code == 404
        plage = {"agent_id": stranger["id"], "lieu_id": str(uuid.uuid4()), "motif_ids": [str(uuid.uuid4())],
                 "title": "x", "first_day": "2027-03-01", "start_time": "09:00", "end_time": "12:00"}
        assert c.post("/api/v1/plages", json=plage).status_code == 404
        assert c.get("/api/v1/agenda", params={"agent_id": stranger["id"], "from": "2027-03-01",
                                               "to": "2027-03-07"}).status_code == 404


def test_a_basic_agent_writes_only_their_own_plages(gateway):
    _, admin = gateway.new_organisation()
    me, token = gateway.new_agent(admin)
    colleague, _ = gateway.new_agent(admin)
    plage = {"lieu_id": str(uuid.uuid4()), "motif_ids": [str(uuid.uuid4())], "title": "Matin",
             "first_day": "2027-03-01", "start_time": "09:00", "end_time": "12:00", "recurrence": None}
    with gateway.client(token) as c:
        assert c.post("/api/v1/plages", json={**plage, "agent_id": me["id"]}).status_code == 201
        denied = c.post("/api/v1/plages", json={**plage, "agent_id": colleague["id"]})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
        absence = {"agent_id": colleague["id"], "title": "x", "first_day": "2027-03-01", "start_time": "09:00",
                   "end_day": "2027-03-01", "end_time": "12:00"}
        assert c.post("/api/v1/absences", json=absence).status_code == 403


def test_creneaux_candidates(gateway):
    _, admin = gateway.new_organisation()
    with gateway.client(admin) as c:
        pmi = c.post("/api/v1/services", json={"name": "PMI"}).json()["id"]
        rsa = c.post("/api/v1/services", json={"name": "RSA"}).json()["id"]
    me, token = gateway.new_agent(admin, service_ids=[pmi])
    mate, _ = gateway.new_agent(admin, service_ids=[pmi, rsa])
    other, _ = gateway.new_agent(admin, service_ids=[rsa])
    query = {"motif_id": str(uuid.uuid4()), "from": "2027-03-01", "to": "2027-03-07"}

    def candidates(tok, **extra):
        with gateway.client(tok) as c:
            resp = c.get("/api/v1/creneaux", params={**query, **extra})
            assert resp.status_code == 200, resp.text
            sent = dict(resp.json()["query"])
        return set(sent["agent_ids"].split(","))

    assert candidates(token) == {me["id"], mate["id"]}
    everyone = candidates(token, elargir="true")
    assert {me["id"], mate["id"], other["id"]} < everyone  # and the admin
    assert candidates(admin) == everyone
    assert candidates(token, agent_id=other["id"]) == {other["id"]}
    with gateway.client(token) as c:
        assert c.get("/api/v1/creneaux", params={**query, "agent_id": str(uuid.uuid4())}).status_code == 404
        bad = c.get("/api/v1/creneaux", params={**query, "from": "demain"})
        assert bad.status_code == 422 and "from" in bad.json()["error"]["details"]["fields"]


def test_composed_and_streamed_routes(gateway):
    _, admin = gateway.new_organisation()
    rdv_id = str(uuid.uuid4())
    with gateway.client(admin) as c:
        notes = c.get(f"/api/v1/rdvs/{rdv_id}/notifications").json()
        assert notes["path"] == f"/v1/rdvs/{rdv_id}/notifications"
        file = c.get(f"/api/v1/exports/{uuid.uuid4()}/file")
        assert file.status_code == 200 and file.content.startswith(b"PK") and len(file.content) == 200_004
        assert "export.xlsx" in file.headers["content-disposition"]
        failed = c.get("/api/v1/lieux", params={"boom": "1"})  # a service's 500 never leaks as a 500
        assert failed.status_code == 503 and failed.json()["error"]["code"] == "service_unavailable"


def test_public_routes_need_a_publishing_organisation(gateway):
    org, admin = gateway.new_organisation()
    query = {"motif_id": str(uuid.uuid4()), "from": "2027-03-01", "to": "2027-03-07"}
    with gateway.client() as c:
        assert c.get(f"/api/v1/public/{org['slug']}/creneaux", params=query).status_code == 404
        assert c.get("/api/v1/public/nope-nope/creneaux", params=query).status_code == 404
    with gateway.client(admin) as c:
        c.patch("/api/v1/organisation", json={"publish_online": True})
    with gateway.client() as c:
        resp = c.get(f"/api/v1/public/{org['slug']}/creneaux", params=query)
        assert resp.status_code == 200 and resp.json()["path"] == "/v1/public/creneaux"
        ident = verify(resp.json()["headers"]["x-rdv-identity"])
        assert ident.kind == "public" and str(ident.organisation_id) == org["id"] and ident.agent_id is None


def test_dev_inbox_answers_json_or_html(gateway):
    with gateway.client() as c:
        assert c.get("/dev/messages").json()[0]["to"] == "+33600000000"
        page = c.get("/dev/messages", headers={"Accept": "text/html,*/*;q=0.8"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "Messages envoyés" in page.text and "+33600000000" in page.text
        assert "Votre RDV &lt;b&gt;" in page.text  # escaped


def test_services_down_answer_503(infra):
    gw = launch_gateway(infra, {f"{n.upper()}_URL": dead_url() for n in SERVICE_NAMES})
    try:
        _, admin = gw.new_organisation()
        with gw.client(admin) as c:
            for path in ("/api/v1/lieux", "/api/v1/rdvs", "/api/v1/usagers", "/api/v1/exports"):
                resp = c.get(path)
                assert resp.status_code == 503 and resp.json()["error"]["code"] == "service_unavailable", path
            assert c.get("/api/v1/me").status_code == 200  # the directory still works
            assert c.get("/readyz").status_code == 503
    finally:
        gw.stop()


def test_a_duplicate_sent_while_the_first_runs_gets_409(gateway):
    _, admin = gateway.new_organisation()
    agent, _ = gateway.new_agent(admin)
    key = str(uuid.uuid4())
    body = {"motif_id": str(uuid.uuid4()), "agent_ids": [agent["id"]], "usager_ids": [str(uuid.uuid4())],
            "starts_at": "2027-03-02T09:00:00+01:00", "context": "sleep"}
    results = {}

    def first():
        with gateway.client(admin) as c:
            results["first"] = c.post("/api/v1/rdvs", json=body, headers={"Idempotency-Key": key})

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.4)  # the stand-in service holds each call 1 s: both overlap
    with gateway.client(admin) as c:
        second = c.post("/api/v1/rdvs", json=body, headers={"Idempotency-Key": key})
        thread.join()
        third = c.post("/api/v1/rdvs", json=body, headers={"Idempotency-Key": key})
    answers = sorted([results["first"], second], key=lambda r: r.status_code)
    assert [r.status_code for r in answers] == [201, 409]  # whichever came second while the other ran
    assert answers[1].json()["error"]["code"] == "idempotency_in_progress"
    assert third.status_code == 201 and third.json() == answers[0].json()
    assert third.headers["idempotent-replayed"] == "true"
