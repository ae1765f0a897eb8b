"""Events typed at both ends: producers build the catalogue's models, consumers validate into them."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shared.events import LieuData, RdvPurgedData, new_event

PARIS_WINTER = timezone(timedelta(hours=1))


def test_a_producer_builds_the_model_and_the_wire_keeps_its_values():
    rdv_id = uuid.uuid4()
    ends_at = datetime(2025, 3, 1, 10, 0, tzinfo=timezone.utc)
    event = new_event("booking.rdv.purged", organisation_id=uuid.uuid4(),
                      data=RdvPurgedData(rdv_id=rdv_id, usager_ids=[], ends_at=ends_at))
    # Instants keep their offset as isoformat writes it (pydantic alone would write "Z").
    assert event.data == {"rdv_id": str(rdv_id), "usager_ids": [], "ends_at": "2025-03-01T10:00:00+00:00"}
    assert "agent_ids" not in event.data  # a default the producer did not set stays off the wire


def test_an_instant_with_the_organisations_offset_round_trips():
    event = new_event("booking.rdv.purged", organisation_id=None,
                      data=RdvPurgedData(rdv_id=uuid.uuid4(), ends_at="2027-03-01T09:00:00+01:00"))
    assert event.data["ends_at"] == "2027-03-01T09:00:00+01:00"
    assert event.data_as(RdvPurgedData).ends_at == datetime(2027, 3, 1, 9, tzinfo=PARIS_WINTER)


def test_a_consumer_validates_and_tolerates_extra_fields():
    lieu_id = uuid.uuid4()
    event = new_event("availability.lieu.created", organisation_id=None, data={
        "lieu": {"id": str(lieu_id), "name": "Mairie", "address": "1 place", "floor": 2}, "by": "x"})
    data = event.data_as(LieuData)
    assert data.lieu.id == lieu_id
    assert data.lieu.model_extra == {"floor": 2}


def test_the_model_must_be_the_types_own():
    with pytest.raises(TypeError):
        new_event("availability.lieu.created", organisation_id=None,
                  data=RdvPurgedData(rdv_id=uuid.uuid4()))
