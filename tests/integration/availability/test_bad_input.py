"""Whatever a client sends, the answer is a 4xx with a stable code, never a 500, and nothing is written."""
from __future__ import annotations

import uuid

import pytest

ODD_RECURRENCES = [
    "weekly", 3, [], {}, {"every": "week"}, {"every": "week", "interval": True, "on": ["monday"]},
    {"every": "week", "interval": "2", "on": ["monday"]}, {"every": "week", "interval": 1, "on": "monday"},
    {"every": "week", "interval": 1, "on": ["monday"], "until": 20270101},
    {"every": "month", "interval": 1, "on": {"monday": 1, "tuesday": 2}},
    {"every": "month", "interval": 1, "on": {"monday": "1"}}, {"every": "month", "interval": 1, "on": ["monday"]},
    {"every": "month", "interval": 1, "on": {"monday": 0}}, {"every": None, "interval": 1, "on": ["monday"]},
]


@pytest.mark.parametrize("recurrence", ODD_RECURRENCES)
def test_odd_recurrences_are_422(org, recurrence):
    lieu, motif = org.lieu(), org.motif()
    with org.client() as c:
        for path, body in (("/v1/plages", {"lieu_id": lieu, "motif_ids": [motif], "start_time": "09:00",
                                           "end_time": "10:00"}),
                           ("/v1/absences", {"start_time": "09:00", "end_day": "2027-03-01", "end_time": "10:00"})):
            resp = c.post(path, json={"agent_id": str(uuid.uuid4()), "title": "x", "first_day": "2027-03-01",
                                      "recurrence": recurrence, **body})
            assert resp.status_code == 422, resp.text
            assert resp.json()["error"]["code"] == "validation_error"
        assert c.get("/v1/plages").json()["total"] == 0 and c.get("/v1/absences").json()["total"] == 0


@pytest.mark.parametrize("method, path, params_or_body", [
    ("get", "/v1/creneaux", {"motif_id": "x", "from": "2027-03-01", "to": "2027-03-02"}),
    ("get", "/v1/creneaux", {"from": "2027-03-01", "to": "2027-03-02"}),
    ("get", "/v1/creneaux", {"motif_id": str(uuid.uuid4()), "from": "lundi", "to": "2027-03-02"}),
    ("get", "/v1/lieux", {"page": 10 ** 30}),
    ("get", "/v1/plages", {"per_page": 0}),
    ("get", "/v1/agenda", {"agent_id": str(uuid.uuid4()), "from": "2027-03-01", "to": "2027-12-31"}),
    ("get", "/v1/creneaux/explain", {"agent_id": str(uuid.uuid4()), "motif_id": str(uuid.uuid4()),
                                     "starts_at": "2027-03-01T09:00:00"}),
    ("get", "/v1/jours-feries", {"year": "deux mille"}),
    ("post", "/v1/lieux", {"name": "", "address": "x"}),
    ("post", "/v1/motifs", {"name": "x", "service_id": str(uuid.uuid4()), "duration_minutes": 481,
                            "location_type": "phone"}),
    ("post", "/v1/plages", {"lieu_id": str(uuid.uuid4()), "motif_ids": [], "first_day": "2027-03-01",
                            "start_time": "09:00", "end_time": "10:00"}),
    ("post", "/v1/plages", {"lieu_id": str(uuid.uuid4()), "motif_ids": [str(uuid.uuid4())],
                            "first_day": "2027-03-01", "start_time": "25:00", "end_time": "10:00"}),
    ("post", "/v1/plages", {"lieu_id": str(uuid.uuid4()), "motif_ids": [str(uuid.uuid4())],
                            "first_day": "2027-03-01", "start_time": "09:00:30", "end_time": "10:00"}),
    ("post", "/v1/absences", {"title": "x" * 201, "first_day": "2027-03-01", "end_time": "10:00"}),
    ("post", "/internal/check", {"agent_ids": [str(uuid.uuid4())], "motif_id": str(uuid.uuid4()),
                                 "starts_at": "2027-03-01T09:00:00+01:00", "duration_minutes": 0}),
    ("post", "/internal/check", {"motif_id": str(uuid.uuid4()), "starts_at": "demain"}),
])
def test_bad_requests_are_4xx(org, method, path, params_or_body):
    with org.client() as c:
        if method == "get":
            resp = c.get(path, params=params_or_body)
        else:
            resp = c.post(path, json=params_or_body)
    assert 400 <= resp.status_code < 500, resp.text
    assert resp.json()["error"]["code"] in ("validation_error", "range_too_large", "unknown_motif", "unknown_lieu")


def test_not_json_is_422(org):
    with org.client() as c:
        resp = c.post("/v1/plages", content=b"{pas du json", headers={"content-type": "application/json"})
        assert resp.status_code == 422
