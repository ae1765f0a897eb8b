"""Booking and availability events kept: scope=service, the fiche with names, stats; idempotent, versioned."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

from shared.events import new_event
from tests.support.system import wait_until

# RDV_NOW: Monday 2027-03-01 08:00 Paris (07:00 UTC)
PARIS = timezone(timedelta(hours=1))


def at(day: int, hour: int) -> datetime:
    return datetime(2027, 3, day, hour, tzinfo=PARIS)


def in_service_scope(desk, q: str, **kw) -> list[str]:
    return [u["id"] for u in desk.search(q, scope="service", **kw)["items"]]


def test_scope_service_follows_the_rdvs_and_ignores_stale_versions(desk):
    anna = desk.create(first_name="Anna", last_name="Kerjean")
    boris = desk.create(first_name="Boris", last_name="Kerjean")
    rdv_id = uuid.uuid4()
    started = time.monotonic()
    desk.publish(desk.rdv_event("created", rdv_id=rdv_id, usager_ids=[anna["id"]], starts_at=at(3, 9), version=1))
    wait_until(lambda: in_service_scope(desk, "kerjean") == [anna["id"]], timeout=10, message="anna linked")
    lag = time.monotonic() - started
    print(f"projection lag (publish -> visible in search): {lag * 1000:.0f} ms")
    # another service's agent does not see her in their scope, but does in the organisation's
    assert in_service_scope(desk, "kerjean", service_ids=[uuid.uuid4()]) == []

    moved = desk.rdv_event("updated", rdv_id=rdv_id, usager_ids=[boris["id"]], starts_at=at(3, 9), version=3)
    stale = desk.rdv_event("updated", rdv_id=rdv_id, usager_ids=[anna["id"]], starts_at=at(3, 9), version=2)
    desk.publish(moved, moved, stale)  # a redelivery and an older version arriving late
    wait_until(lambda: in_service_scope(desk, "kerjean") == [boris["id"]], message="boris linked, anna unlinked")
    marker = desk.create(first_name="Zoé", last_name="Marker")
    desk.publish(desk.rdv_event("created", rdv_id=uuid.uuid4(), usager_ids=[marker["id"]], starts_at=at(4, 9),
                                version=1))
    wait_until(lambda: in_service_scope(desk, "marker") == [marker["id"]], message="later event applied")
    assert in_service_scope(desk, "kerjean") == [boris["id"]]  # the stale version changed nothing


def test_the_fiche_lists_rdvs_with_names_and_stats(desk):
    u = desk.create(first_name="Gaëlle", last_name="Quéré", phone="0611223344")
    motif_id, lieu_id, other_service = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    desk.publish(
        new_event("availability.motif.created", organisation_id=desk.organisation_id, data={"motif": {
            "id": str(motif_id), "name": "Bilan de santé", "service_id": str(desk.service_id), "duration_minutes": 30,
            "location_type": "public_office", "color": None, "reservable_online": False,
            "min_booking_delay_minutes": 30, "max_booking_delay_days": 90}}),
        new_event("availability.lieu.created", organisation_id=desk.organisation_id, data={"lieu": {
            "id": str(lieu_id), "name": "PMI Centre", "address": "1 rue de la Paix, Paris", "phone": None}}))
    agent = uuid.uuid4()
    plan = [  # (day, hour, status, service)
        (1, 7, "unknown", None),        # today, before now: past, a_renseigner
        (1, 15, "unknown", None),       # today, later: upcoming, a_renseigner
        (5, 10, "unknown", None),       # Friday: upcoming, a_venir
        (5, 14, "revoked", None),
        (2, 9, "excused", other_service),  # another service's RDV
    ]
    past = [(day, hour, status) for day, hour, status in [(1 - 7, 9, "seen"), (1 - 14, 9, "noshow")]]
    events = []
    for day, hour, status, service in plan:
        events.append(desk.rdv_event("created", rdv_id=uuid.uuid4(), usager_ids=[u["id"]], starts_at=at(day, hour),
                                     version=1, status=status, motif_id=motif_id, lieu_id=lieu_id,
                                     service_id=service, agent_ids=[agent]))
    for day, hour, status in past:
        starts = at(1, hour) + timedelta(days=day - 1)
        events.append(desk.rdv_event("status_changed", rdv_id=uuid.uuid4(), usager_ids=[u["id"]], starts_at=starts,
                                     version=2, status=status, motif_id=motif_id, lieu_id=lieu_id))
    desk.publish(*events)

    def fiche(**kw):
        with desk.client(**kw) as c:
            return c.get(f"/v1/usagers/{u['id']}").json()

    # The RDVs (BOOKING) and the motif's and lieu's names (AVAILABILITY) reach the projection by two consumers.
    full = wait_until(lambda: (f := fiche()) and f["stats"]["total"] == 7
                      and all(r["motif"] and r["lieu"] for r in f["rdvs_upcoming"]) and f,
                      message="7 RDVs projected, with their motif and lieu")
    assert full["stats"] == {"total": 7, "seen": 1, "noshow": 1, "excused": 1, "revoked": 1, "a_venir": 1,
                             "a_renseigner": 2}
    upcoming = full["rdvs_upcoming"]
    assert [r["starts_at"] for r in upcoming] == ["2027-03-01T15:00:00+01:00", "2027-03-02T09:00:00+01:00",
                                                  "2027-03-05T10:00:00+01:00", "2027-03-05T14:00:00+01:00"]
    assert [r["display_status"] for r in upcoming] == ["a_renseigner", "excused", "a_venir", "revoked"]
    assert upcoming[0]["motif"]["name"] == "Bilan de santé" and upcoming[0]["lieu"]["name"] == "PMI Centre"
    assert [r["starts_at"][:10] for r in full["rdvs_past"]] == ["2027-03-01", "2027-02-22", "2027-02-15"]

    # a basic agent of another service sees only that service's RDV; one taking part sees theirs too
    assert fiche(role="basic", service_ids=[other_service])["stats"]["total"] == 1
    assert fiche(role="basic", service_ids=[], agent_id=agent)["stats"]["total"] == 5

    desk.publish(new_event("availability.lieu.updated", organisation_id=desk.organisation_id, data={"lieu": {
        "id": str(lieu_id), "name": "PMI Nord", "address": "2 rue", "phone": None}}))
    wait_until(lambda: fiche()["rdvs_upcoming"][0]["lieu"]["name"] == "PMI Nord", message="lieu renamed")


def test_an_rdv_without_service_gets_it_from_its_motif_arriving_later(desk):
    u = desk.create(first_name="Naël", last_name="Thébault")
    motif_id = uuid.uuid4()
    event = desk.rdv_event("created", rdv_id=uuid.uuid4(), usager_ids=[u["id"]], starts_at=at(8, 9), version=1,
                           motif_id=motif_id)
    del event.data["rdv"]["service_id"]  # an older producer: the motif's service is the RDV's
    desk.publish(event)
    def total() -> int:
        with desk.client() as c:
            return c.get(f"/v1/usagers/{u['id']}").json()["stats"]["total"]

    wait_until(lambda: total() == 1, message="rdv projected")
    assert in_service_scope(desk, "thebault") == []
    desk.publish(new_event("availability.motif.created", organisation_id=desk.organisation_id, data={"motif": {
        "id": str(motif_id), "name": "Accueil", "service_id": str(desk.service_id), "duration_minutes": 20,
        "location_type": "phone", "color": None, "reservable_online": False, "min_booking_delay_minutes": 30,
        "max_booking_delay_days": 90}}))
    wait_until(lambda: in_service_scope(desk, "thebault") == [u["id"]], message="linked through the motif")
