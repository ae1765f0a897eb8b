"""What the agenda's live updates tell a page of an RDV event (gateway.web.events.rdv_change)."""
from __future__ import annotations

import uuid

from gateway.web.events import rdv_change
from shared.events import new_event

ORG = uuid.uuid4()


def _rdv(rdv_id: uuid.UUID) -> dict:
    return {"id": str(rdv_id), "organisation_id": str(ORG), "motif_id": str(uuid.uuid4()), "lieu_id": None,
            "agent_ids": [str(uuid.uuid4())], "usager_ids": [], "starts_at": "2027-03-01T09:00:00+01:00",
            "ends_at": "2027-03-01T09:30:00+01:00", "status": "unknown", "created_at": "2027-02-01T09:00:00+01:00",
            "version": 1}


def test_an_rdv_event_of_the_organisation_names_the_rdv():
    rdv_id = uuid.uuid4()
    raw = new_event("booking.rdv.created", organisation_id=ORG, data={"rdv": _rdv(rdv_id), "origin": "agent"}).to_json()
    assert rdv_change(raw, ORG) == {"rdv_id": str(rdv_id), "type": "booking.rdv.created"}


def test_a_purge_names_no_rdv_and_other_organisations_are_not_told():
    purged = new_event("booking.rdv.purged", organisation_id=ORG, data={"rdv_id": str(uuid.uuid4())}).to_json()
    assert rdv_change(purged, ORG) == {"rdv_id": None, "type": "booking.rdv.purged"}
    other = new_event("booking.rdv.created", organisation_id=uuid.uuid4(),
                      data={"rdv": _rdv(uuid.uuid4()), "origin": "agent"}).to_json()
    assert rdv_change(other, ORG) is None
    assert rdv_change(b"not json", ORG) is None
