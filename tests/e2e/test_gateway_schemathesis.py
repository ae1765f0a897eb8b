"""/openapi.json as tools read it, and schemathesis with every check (`--checks all`, bounded: a few
generated cases per operation, examples and fuzzing phases; the boundary values of the coverage
phase run in the reliability suite)."""
from __future__ import annotations

import re

import httpx
import pytest

from gateway.domain.passwords import PASSWORD_PATTERN, missing_rules
from tests.support.fuzz import run_schemathesis


def test_openapi_documents_every_contract_route(system):
    with system.client() as c:
        spec = c.get("/openapi.json").json()
    ops = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    expected = {
        ("POST", "/api/v1/organisations"), ("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/logout"),
        ("GET", "/api/v1/me"), ("GET", "/api/v1/organisation"), ("PATCH", "/api/v1/organisation"),
        ("GET", "/api/v1/services"), ("POST", "/api/v1/services"), ("PATCH", "/api/v1/services/{service_id}"),
        ("DELETE", "/api/v1/services/{service_id}"), ("GET", "/api/v1/agents"), ("POST", "/api/v1/agents"),
        ("GET", "/api/v1/agents/{agent_id}"), ("PATCH", "/api/v1/agents/{agent_id}"),
        ("DELETE", "/api/v1/agents/{agent_id}"), ("GET", "/api/v1/lieux"), ("POST", "/api/v1/lieux"),
        ("PATCH", "/api/v1/lieux/{lieu_id}"), ("DELETE", "/api/v1/lieux/{lieu_id}"), ("GET", "/api/v1/motifs"),
        ("POST", "/api/v1/motifs"), ("PATCH", "/api/v1/motifs/{motif_id}"), ("DELETE", "/api/v1/motifs/{motif_id}"),
        ("GET", "/api/v1/plages"), ("POST", "/api/v1/plages"), ("GET", "/api/v1/plages/{plage_id}"),
        ("PATCH", "/api/v1/plages/{plage_id}"), ("DELETE", "/api/v1/plages/{plage_id}"),
        ("GET", "/api/v1/absences"), ("POST", "/api/v1/absences"), ("GET", "/api/v1/absences/{absence_id}"),
        ("PATCH", "/api/v1/absences/{absence_id}"), ("DELETE", "/api/v1/absences/{absence_id}"),
        ("GET", "/api/v1/jours-feries"), ("GET", "/api/v1/creneaux"), ("GET", "/api/v1/agenda"),
        ("POST", "/api/v1/rdvs"), ("GET", "/api/v1/rdvs"), ("GET", "/api/v1/rdvs/{rdv_id}"),
        ("PATCH", "/api/v1/rdvs/{rdv_id}"), ("POST", "/api/v1/rdvs/{rdv_id}/status"),
        ("GET", "/api/v1/rdvs/{rdv_id}/notifications"), ("POST", "/api/v1/usagers"), ("GET", "/api/v1/usagers"),
        ("GET", "/api/v1/usagers/{usager_id}"), ("PATCH", "/api/v1/usagers/{usager_id}"),
        ("DELETE", "/api/v1/usagers/{usager_id}"), ("GET", "/api/v1/stats"), ("POST", "/api/v1/exports"),
        ("GET", "/api/v1/exports"), ("GET", "/api/v1/exports/{export_id}/file"), ("GET", "/api/v1/audit"),
        ("GET", "/api/v1/public/{slug}/creneaux"), ("POST", "/api/v1/public/{slug}/rdvs"),
    }
    assert expected <= ops, expected - ops
    for path, item in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, op in item.items():
            statuses = set(op["responses"])
            assert statuses & {"200", "201", "202", "204"}, (method, path)
            error = op["responses"]["422"]["content"]["application/json"]["schema"]
            assert error["$ref"].endswith("/ErrorBody"), (method, path)
            if method in ("post", "patch") and path not in ("/api/v1/auth/logout", "/api/v1/me/calendar-feed/rotate",
                                                            "/api/v1/webhooks/{webhook_id}/test"):  # actions
                assert op["requestBody"]["content"]["application/json"]["schema"], (method, path)
    assert spec["components"]["schemas"]["RdvOut"]["properties"]["display_status"]


def test_openapi_says_how_each_operation_authenticates(system):
    with system.client() as c:
        spec = c.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "description": schemes["bearer"]["description"]}
    assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "rdv_session")
    assert (schemes["csrf"]["in"], schemes["csrf"]["name"]) == ("header", "X-CSRF-Token")
    paths = spec["paths"]
    assert paths["/api/v1/rdvs"]["get"]["security"] == [{"bearer": []}, {"session": []}]
    assert paths["/api/v1/rdvs"]["post"]["security"] == [{"bearer": []}, {"session": [], "csrf": []}]
    assert paths["/api/v1/auth/login"]["post"]["security"] == []
    assert paths["/api/v1/organisations"]["post"]["security"] == [{"platform": []}]
    assert paths["/api/v1/public/{slug}/rdvs"]["post"]["security"] == []
    assert all("security" in op for p, item in paths.items() if p.startswith("/api/v1") for op in item.values())


def test_openapi_states_the_limits_the_server_enforces(system):
    with system.client() as c:
        spec = c.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    start = schemas["PlageIn"]["properties"]["start_time"]
    assert re.fullmatch(start["pattern"], "09:30") and not re.fullmatch(start["pattern"], "09:30:00")
    assert "anyOf" not in schemas["LieuPatch"]["properties"]["address"]  # absent, not null
    starts_at = schemas["RdvCreate"]["properties"]["starts_at"]
    assert starts_at["format"] == "date-time" and not re.fullmatch(starts_at["pattern"], "2201-01-01T09:00:00Z")
    password = schemas["AgentIn"]["properties"]["password"]["pattern"]
    assert password == PASSWORD_PATTERN
    for candidate in ("Demo-Admin-2027!", "Écrire_12345", "court1A!", "sanssymbole1A", "Espace 2027 !"):
        assert bool(re.fullmatch(password, candidate)) == (missing_rules(candidate) == []), candidate
    to = next(p for p in spec["paths"]["/api/v1/rdvs"]["get"]["parameters"] if p["name"] == "to")
    assert to["schema"]["anyOf"][0]["format"] == "date"


def test_strict_days_and_a_complete_allow_header(system):
    org = system.new_organisation()
    with org.admin() as c:
        for bad in ("0", "2027-3-1", "20270301", "2201-01-01"):
            resp = c.get("/api/v1/rdvs", params={"to": bad})
            assert resp.status_code == 422 and resp.json()["error"]["code"] == "validation_error", bad
        assert c.get("/api/v1/rdvs", params={"to": "2027-03-01"}).status_code == 200
        refused = c.request("OPTIONS", f"/api/v1/rdvs/{org.id}")
        assert refused.status_code == 405 and refused.json()["error"]["code"] == "method_not_allowed"
        assert refused.headers["allow"] == "GET, PATCH"
        assert c.request("PUT", "/api/v1/organisation").headers["allow"] == "GET, PATCH"
    assert httpx.get(system.base_url + "/api/v1/rdvs").status_code == 401


@pytest.mark.timeout(600)
def test_schemathesis_every_check(system):
    org = system.new_organisation()
    cases, failures, output = run_schemathesis(system.base_url, org.admin_token, phases="examples,fuzzing",
                                               max_examples=3, seed=21)
    assert cases > 100, output[-3000:]
    assert not failures, "\n".join(failures) + "\n" + output[-6000:]
