"""Property-based checks of /openapi.json with schemathesis (bounded: a few cases per operation):
no 5xx, and every 4xx in the contract's error shape."""
from __future__ import annotations

import pytest

from tests.support.fuzz import fuzz_gateway

POSITIVE_CASES = 3
NEGATIVE_CASES = 2


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
            if method in ("post", "patch") and path not in ("/api/v1/auth/logout",):
                assert op["requestBody"]["content"]["application/json"]["schema"], (method, path)
    assert spec["components"]["schemas"]["RdvOut"]["properties"]["display_status"]


@pytest.mark.timeout(600)
def test_schemathesis_no_5xx_and_contract_errors(system):
    org = system.new_organisation()
    ran, failures = fuzz_gateway(system.base_url, org.admin_token, positive=POSITIVE_CASES,
                                 negative=NEGATIVE_CASES, derandomize=True)
    assert ran <= 400
    assert not failures, "\n".join(dict.fromkeys(failures))
