"""Reading RDV events into fact rows (pure: no database)."""
from __future__ import annotations

import uuid

from services.reporting.service_layer.handlers import _fact_rows, _newer
from shared.events import new_event


def _event(type_: str, **rdv):
    org = uuid.uuid4()
    payload = {"id": str(uuid.uuid4()), "organisation_id": str(org), "motif_id": str(uuid.uuid4()), "lieu_id": None,
               "agent_ids": [str(uuid.uuid4())], "usager_ids": [], "starts_at": "2027-03-28T08:00:00+00:00",
               "ends_at": "2027-03-28T08:45:00+00:00", "status": "unknown", "created_at": "2027-03-01T08:00:00Z",
               **rdv}
    data = {"rdv": payload, "previous_status": "unknown"} if type_.endswith("status_changed") else {"rdv": payload}
    return new_event(type_, organisation_id=org, data=data)


def test_created_event_gives_a_fact_row_without_status_change():
    row, change = _fact_rows(_event("booking.rdv.created", version=1))
    assert row["duration_minutes"] == 45  # from starts_at/ends_at when the payload has no duration
    assert row["origin"] == "agent" and row["version"] == 1 and row["lieu_id"] is None
    assert isinstance(row["agent_ids"][0], uuid.UUID)
    assert change is None


def test_status_change_is_recorded_with_its_version():
    row, change = _fact_rows(_event("booking.rdv.status_changed", status="seen", version=4, origin="usager"))
    assert row["status"] == "seen" and row["origin"] == "usager"
    assert change["version"] == 4 and change["status"] == "seen" and change["previous_status"] == "unknown"


def test_event_without_rdv_is_ignored():
    assert _fact_rows(new_event("booking.rdv.created", organisation_id=uuid.uuid4(), data={})) is None


def test_newest_version_wins_and_unversioned_events_apply():
    assert _newer({"version": 3}, {"version": 2})
    assert not _newer({"version": 2}, {"version": 2})
    assert _newer({"version": None}, {"version": 5})
