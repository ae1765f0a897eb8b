"""The pseudonymised RDV events (reporting.rdv.*): nothing personal leaves, pseudonyms are stable and keyed."""
from __future__ import annotations

import json
import uuid

from services.reporting.service_layer.public_events import pseudonym, pseudonymised
from shared.events import Actor, CATALOGUE, new_event

USAGER = uuid.uuid4()


def _created(**rdv_extra):
    rdv = {"id": str(uuid.uuid4()), "organisation_id": str(uuid.uuid4()), "motif_id": str(uuid.uuid4()),
           "lieu_id": str(uuid.uuid4()), "agent_ids": [str(uuid.uuid4())], "usager_ids": [str(USAGER)],
           "starts_at": "2027-03-02T09:00:00+01:00", "ends_at": "2027-03-02T09:30:00+01:00", "status": "unknown",
           "context": "Mme Martin, 06 11 22 33 44, martin@example.fr", "created_at": "2027-03-01T08:00:00+01:00",
           "created_by": str(USAGER), "usagers": [{"first_name": "Jeanne", "phone": "0611223344"}], **rdv_extra}
    envelope = new_event("booking.rdv.created", organisation_id=rdv["organisation_id"],
                         data={"rdv": rdv, "origin": "usager"})
    envelope.actor = Actor(kind="usager", id=USAGER)
    return envelope


def test_nothing_personal_leaves_and_the_usager_becomes_a_stable_pseudonym():
    source = _created()
    event = pseudonymised(source, key=b"k1")
    text = event.model_dump_json()
    for personal in ("Martin", "0611223344", "06 11 22 33 44", "martin@example.fr", "Jeanne", str(USAGER), "context",
                     "created_by"):
        assert personal not in text, personal
    assert event.type == "reporting.rdv.created" and event.actor.kind == "usager" and event.actor.id is None
    rdv = event.data["rdv"]
    assert rdv["usager_pseudonyms"] == [pseudonym(USAGER, b"k1")]
    assert rdv["id"] == source.data["rdv"]["id"] and rdv["starts_at"] == source.data["rdv"]["starts_at"]
    assert event.data["origin"] == "usager"
    # stable across events, keyed (another site, another pseudonym), and a valid event of the catalogue
    assert pseudonymised(_created(), key=b"k1").data["rdv"]["usager_pseudonyms"] == rdv["usager_pseudonyms"]
    assert pseudonym(USAGER, b"k2") != pseudonym(USAGER, b"k1")
    CATALOGUE["reporting.rdv.created"].model_validate(json.loads(text)["data"])


def test_a_redelivered_source_gives_the_same_event_and_changes_keep_only_public_fields():
    source = _created()
    assert pseudonymised(source, key=b"k").id == pseudonymised(source, key=b"k").id != source.id
    updated = new_event("booking.rdv.updated", organisation_id=None, data={
        "rdv": source.data["rdv"], "changes": {"starts_at": ["a", "b"], "context": ["x", "y"]}})
    assert pseudonymised(updated, key=b"k").data["changes"] == {"starts_at": ["a", "b"]}
    purged = new_event("booking.rdv.purged", organisation_id=None, data={
        "rdv_id": str(uuid.uuid4()), "usager_ids": [str(USAGER)], "agent_ids": [], "ends_at": None})
    event = pseudonymised(purged, key=b"k")
    assert event.type == "reporting.rdv.purged" and event.data["usager_pseudonyms"] == [pseudonym(USAGER, b"k")]
    assert str(USAGER) not in event.model_dump_json()
    other = new_event("usagers.usager.anonymized", organisation_id=None, data={"usager_id": str(USAGER)})
    assert pseudonymised(other, key=b"k") is None
