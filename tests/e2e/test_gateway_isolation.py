"""Isolation matrix: every /api/v1 route x {admin of another organisation, basic agent of another
service, anonymous} -> 404 / 403 / 401 as the contract says, and nothing changed."""
from __future__ import annotations

import uuid

import pytest

from tests.support.system import wait_until

# (method, path, body, who may call it, what another organisation's admin gets:
#  "404": a resource of the first organisation;
#  "ref": a reference (query/body) to one: answered exactly as for an id that does not exist (404 or 422);
#  "own": answers about their own organisation)
# who: "agent" (any agent), "admin", "owner" (the agent whose plage/absence it is, or an admin),
#      "visible" (an agent who can see the RDV), "owner_export" (who asked for the export)
ROUTES = [
    ("GET", "/api/v1/me", None, "agent", "own"),
    ("POST", "/api/v1/auth/logout", None, "agent", "own"),
    ("GET", "/api/v1/organisation", None, "agent", "own"),
    ("PATCH", "/api/v1/organisation", {"name": "Piratée"}, "admin", "own"),
    ("GET", "/api/v1/services", None, "agent", "own"),
    ("POST", "/api/v1/services", {"name": "Intrus"}, "admin", "own"),
    ("GET", "/api/v1/services/{service}", None, "agent", "404"),
    ("PATCH", "/api/v1/services/{service}", {"name": "Intrus"}, "admin", "404"),
    ("DELETE", "/api/v1/services/{service}", None, "admin", "404"),
    ("GET", "/api/v1/agents", None, "agent", "own"),
    ("POST", "/api/v1/agents", "agent_body", "admin", "own"),
    ("GET", "/api/v1/agents/{owner}", None, "agent", "404"),
    ("PATCH", "/api/v1/agents/{owner}", {"first_name": "Intrus"}, "admin", "404"),
    ("DELETE", "/api/v1/agents/{owner}", None, "admin", "404"),
    ("GET", "/api/v1/audit", None, "admin", "own"),
    ("GET", "/api/v1/lieux", None, "agent", "own"),
    ("POST", "/api/v1/lieux", {"name": "Intrus", "address": "1 rue X"}, "admin", "own"),
    ("GET", "/api/v1/lieux/{lieu}", None, "agent", "404"),
    ("PATCH", "/api/v1/lieux/{lieu}", {"name": "Intrus"}, "admin", "404"),
    ("DELETE", "/api/v1/lieux/{lieu}", None, "admin", "404"),
    ("GET", "/api/v1/motifs", None, "agent", "own"),
    ("POST", "/api/v1/motifs", "motif_body", "admin", "own"),
    ("GET", "/api/v1/motifs/{motif}", None, "agent", "404"),
    ("PATCH", "/api/v1/motifs/{motif}", {"name": "Intrus"}, "admin", "404"),
    ("DELETE", "/api/v1/motifs/{motif}", None, "admin", "404"),
    ("GET", "/api/v1/plages", None, "agent", "own"),
    ("POST", "/api/v1/plages", "plage_body", "owner", "404"),
    ("GET", "/api/v1/plages/{plage}", None, "owner", "404"),
    ("PATCH", "/api/v1/plages/{plage}", {"title": "Intrus"}, "owner", "404"),
    ("DELETE", "/api/v1/plages/{plage}", None, "owner", "404"),
    ("GET", "/api/v1/absences", None, "agent", "own"),
    ("POST", "/api/v1/absences", "absence_body", "owner", "404"),
    ("GET", "/api/v1/absences/{absence}", None, "owner", "404"),
    ("PATCH", "/api/v1/absences/{absence}", {"title": "Intrus"}, "owner", "404"),
    ("DELETE", "/api/v1/absences/{absence}", None, "owner", "404"),
    ("GET", "/api/v1/jours-feries?year=2027", None, "agent", "own"),
    ("GET", "/api/v1/creneaux?motif_id={motif}&from=2027-03-01&to=2027-03-07", None, "agent", "ref"),
    ("GET", "/api/v1/agenda?agent_id={owner}&from=2027-03-01&to=2027-03-07", None, "agent", "404"),
    ("POST", "/api/v1/rdvs", "rdv_body", "agent", "404"),
    ("GET", "/api/v1/rdvs", None, "agent", "own"),
    ("GET", "/api/v1/rdvs/{rdv}", None, "visible", "404"),
    ("PATCH", "/api/v1/rdvs/{rdv}", {"context": "Intrus"}, "visible", "404"),
    ("POST", "/api/v1/rdvs/{rdv}/status", {"status": "revoked"}, "visible", "404"),
    ("GET", "/api/v1/rdvs/{rdv}/notifications", None, "visible", "404"),
    ("POST", "/api/v1/usagers", {"first_name": "In", "last_name": "Trus"}, "agent", "own"),
    ("GET", "/api/v1/usagers", None, "agent", "own"),
    ("GET", "/api/v1/usagers/{usager}", None, "agent", "404"),
    ("PATCH", "/api/v1/usagers/{usager}", {"first_name": "Intrus"}, "agent", "404"),
    ("DELETE", "/api/v1/usagers/{usager}", None, "admin", "404"),
    ("GET", "/api/v1/stats?from=2027-03-01&to=2027-03-31", None, "agent", "own"),
    ("POST", "/api/v1/exports", {"kind": "rdvs", "filters": {}}, "agent", "own"),
    ("GET", "/api/v1/exports", None, "agent", "own"),
    ("GET", "/api/v1/exports/{export}", None, "owner_export", "404"),
    ("GET", "/api/v1/exports/{export}/file", None, "owner_export", "404"),
]


@pytest.fixture(scope="module")
def world(system):
    """Organisation A with one of everything; an admin of B; a basic agent of A in another service."""
    a, b = system.new_organisation(), system.new_organisation()
    with a.admin() as c:
        pmi = c.post("/api/v1/services", json={"name": "PMI"}).json()
        rsa = c.post("/api/v1/services", json={"name": "RSA"}).json()
        owner, owner_token = a.new_agent(role="basic", service_ids=[pmi["id"]])
        outsider, outsider_token = a.new_agent(role="basic", service_ids=[rsa["id"]])
        lieu = c.post("/api/v1/lieux", json={"name": "Mairie", "address": "1 place de la Mairie"})
        assert lieu.status_code == 201, lieu.text
        lieu = lieu.json()
        motif = c.post("/api/v1/motifs", json={"name": "Consultation", "service_id": pmi["id"], "duration_minutes": 30,
                                              "location_type": "public_office"}).json()
        plage = c.post("/api/v1/plages", json={
            "agent_id": owner["id"], "lieu_id": lieu["id"], "motif_ids": [motif["id"]], "title": "Matin",
            "first_day": "2027-03-02", "start_time": "09:00", "end_time": "12:00", "recurrence": None})
        assert plage.status_code == 201, plage.text
        absence = c.post("/api/v1/absences", json={
            "agent_id": owner["id"], "title": "Formation", "first_day": "2027-03-03", "start_time": "09:00",
            "end_day": "2027-03-03", "end_time": "12:00", "recurrence": None})
        assert absence.status_code == 201, absence.text
        usager = c.post("/api/v1/usagers", json={"first_name": "Camille", "last_name": "Martin",
                                                 "phone": "06 12 34 56 78"})
        assert usager.status_code == 201, usager.text
        rdv_body = {"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [owner["id"]],
                    "usager_ids": [usager.json()["id"]], "starts_at": "2027-03-02T09:00:00+01:00"}

        def book():
            resp = c.post("/api/v1/rdvs", json=rdv_body)
            return resp if resp.status_code == 201 else None
        rdv = wait_until(book, timeout=20, message="booking knows the motif").json()

        def fiche_settled():  # the usagers projections (RDV, motif and lieu names) have caught up
            fiche = c.get(f"/api/v1/usagers/{usager.json()['id']}").json()
            rdvs = fiche.get("rdvs_upcoming", []) + fiche.get("rdvs_past", [])
            return rdvs and all(r.get("motif_name") and r.get("lieu_name", True) for r in rdvs)
        wait_until(fiche_settled, timeout=20, message="the fiche shows the RDV with its names")
    with system.client(owner_token) as c:
        export = c.post("/api/v1/exports", json={"kind": "rdvs", "filters": {}})
        assert export.status_code == 202, export.text
    ids = {"service": pmi["id"], "owner": owner["id"], "lieu": lieu["id"], "motif": motif["id"],
           "plage": plage.json()["id"], "absence": absence.json()["id"], "usager": usager.json()["id"],
           "rdv": rdv["id"], "export": export.json()["id"]}
    bodies = {
        "agent_body": {"email": f"m-{uuid.uuid4().hex[:8]}@test.rdv", "first_name": "M", "last_name": "X",
                       "password": "Agent-Pass-2027!", "role": "basic", "service_ids": []},
        "motif_body": {"name": "Intrus", "service_id": pmi["id"], "duration_minutes": 30,
                       "location_type": "phone"},
        "plage_body": {"agent_id": owner["id"], "lieu_id": lieu["id"], "motif_ids": [motif["id"]], "title": "Intrus",
                       "first_day": "2027-03-09", "start_time": "14:00", "end_time": "15:00", "recurrence": None},
        "absence_body": {"agent_id": owner["id"], "title": "Intrus", "first_day": "2027-03-10",
                         "start_time": "09:00", "end_day": "2027-03-10", "end_time": "10:00", "recurrence": None},
        "rdv_body": {**rdv_body, "starts_at": "2027-03-02T10:00:00+01:00"},
    }
    return {"a": a, "b": b, "ids": ids, "bodies": bodies, "owner_token": owner_token,
            "outsider": outsider, "outsider_token": outsider_token, "system": system}


def _call(client, method, path, body, world):
    path = path.format(**world["ids"])
    if isinstance(body, str):
        body = world["bodies"][body]
    return client.request(method, path, json=body) if body is not None else client.request(method, path)


def _snapshot(world) -> dict:
    """Everything of organisation A, as its admin reads it."""
    with world["a"].admin() as c:
        ids = world["ids"]
        paths = ["/api/v1/organisation", "/api/v1/services?per_page=200", "/api/v1/agents?per_page=200",
                 "/api/v1/lieux?per_page=200", "/api/v1/motifs?per_page=200", "/api/v1/plages?per_page=200",
                 "/api/v1/absences?per_page=200", f"/api/v1/rdvs/{ids['rdv']}", f"/api/v1/usagers/{ids['usager']}",
                 "/api/v1/rdvs?per_page=200"]
        result = {}
        for p in paths:
            resp = c.get(p)
            assert resp.status_code == 200, (p, resp.text)
            result[p] = resp.json()
        return result


def test_anonymous_gets_401_everywhere(world):
    with world["system"].client() as c:
        for method, path, body, _, _ in ROUTES:
            resp = _call(c, method, path, body, world)
            assert resp.status_code == 401, (method, path, resp.status_code, resp.text)
            assert resp.json()["error"]["code"] == "unauthorized"


def test_admin_of_another_organisation_gets_404_and_changes_nothing(world):
    before = _snapshot(world)
    with world["b"].admin() as c:
        for method, path, body, _, cross in ROUTES:
            if cross == "404":
                resp = _call(c, method, path, body, world)
                assert resp.status_code == 404, (method, path, resp.status_code, resp.text)
                assert resp.json()["error"]["code"] == "not_found"
            elif cross == "ref":
                resp = _call(c, method, path, body, world)
                unknown = _call(c, method, path, body, {**world, "ids": {k: str(uuid.uuid4()) for k in world["ids"]}})
                assert resp.status_code in (404, 422), (method, path, resp.status_code, resp.text)
                assert (resp.status_code, resp.json()["error"]["code"]) == \
                    (unknown.status_code, unknown.json()["error"]["code"]), (method, path)
        # their lists show nothing of A (their audit log lists their own attempts, with A's ids in paths)
        a_ids = set(world["ids"].values())
        for method, path, body, _, cross in ROUTES:
            if method == "GET" and cross == "own" and "{" not in path and path != "/api/v1/audit":
                resp = _call(c, method, path, body, world)
                assert resp.status_code == 200, (path, resp.text)
                assert not any(i in resp.text for i in a_ids), path
    assert _snapshot(world) == before


def test_basic_agent_of_another_service_is_refused_what_the_contract_forbids(world):
    before = _snapshot(world)
    with world["system"].client(world["outsider_token"]) as c:
        for method, path, body, who, _ in ROUTES:
            if who in ("agent",):
                continue
            if method == "POST" and path == "/api/v1/auth/logout":
                continue
            resp = _call(c, method, path, body, world)
            expected = {403} if who in ("admin", "owner") else {403, 404}  # not visible: 403 or 404
            assert resp.status_code in expected, (method, path, resp.status_code, resp.text)
            assert resp.json()["error"]["code"] in ("forbidden", "not_found")
    assert _snapshot(world) == before
