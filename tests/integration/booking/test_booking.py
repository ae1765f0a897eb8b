"""Book, read, move and list RDVs over HTTP, with availability's real check and the outbox."""
from __future__ import annotations

import uuid

import psycopg

from tests.integration.booking.world import open_desk


def _outbox(booking, rdv_id: str) -> list[dict]:
    url = booking.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        rows = conn.execute("select payload from outbox where payload->'data'->'rdv'->>'id' = %s order by seq",
                            (rdv_id,)).fetchall()
    return [r[0] for r in rows]


def test_book_an_rdv_with_two_agents_and_two_usagers(world):
    desk = open_desk(world)
    second = uuid.uuid4()
    world.plage(agent_id=second, lieu_id=desk.lieu_id, motif_ids=[desk.motif_id], first_day="2027-03-02",
                start="08:00", end="18:00")
    usagers = [uuid.uuid4(), uuid.uuid4()]
    resp = world.book(motif_id=desk.motif_id, lieu_id=desk.lieu_id, agent_ids=[desk.agent_id, second],
                      usager_ids=usagers, starts_at="2027-03-02T09:00:00+01:00", context="Premier rendez-vous")
    assert resp.status_code == 201, resp.text
    rdv = resp.json()
    assert set(rdv) == {"id", "organisation_id", "motif_id", "lieu_id", "agent_ids", "usager_ids", "starts_at",
                        "ends_at", "status", "display_status", "context", "created_at", "created_by",
                        "cancelled_at", "allowed_statuses"}
    assert rdv["allowed_statuses"] == ["excused", "revoked"]
    assert rdv["agent_ids"] == [str(desk.agent_id), str(second)]
    assert rdv["usager_ids"] == [str(u) for u in usagers]
    assert rdv["starts_at"] == "2027-03-02T09:00:00+01:00" and rdv["ends_at"] == "2027-03-02T09:30:00+01:00"
    assert rdv["status"] == "unknown" and rdv["display_status"] == "a_venir"
    assert rdv["created_by"] == str(world.admin.agent_id) and rdv["cancelled_at"] is None
    assert rdv["organisation_id"] == str(world.organisation_id)
    with world.client() as c:
        assert c.get(f"/v1/rdvs/{rdv['id']}").json() == rdv
    # Either agent is now taken at that time.
    taken = world.book(motif_id=desk.motif_id, lieu_id=desk.lieu_id, agent_ids=[second],
                       starts_at="2027-03-02T09:15:00+01:00")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "slot_taken"
    assert taken.json()["error"]["details"]["rdv_id"] == rdv["id"]
    [event] = _outbox(world.booking, rdv["id"])
    assert event["type"] == "booking.rdv.created" and event["data"]["origin"] == "agent"
    assert event["organisation_id"] == str(world.organisation_id)
    payload = event["data"]["rdv"]
    assert payload["service_id"] == str(world.service_id) and payload["version"] == 1
    assert payload["duration_minutes"] == 30 and payload["origin"] == "agent"
    # The API's fields, but not `allowed_statuses`: it depends on the reader's "now".
    assert {k: v for k, v in rdv.items() if k not in payload} == {"allowed_statuses": ["excused", "revoked"]}
    assert {k: v for k, v in payload.items() if k in rdv} == {k: v for k, v in rdv.items() if k in payload}


def test_touching_rdvs_do_not_overlap_and_a_custom_duration_is_kept(world):
    desk = open_desk(world)
    assert desk.book("2027-03-02T10:00:00+01:00").status_code == 201
    assert desk.book("2027-03-02T09:30:00+01:00").status_code == 201
    long = desk.book("2027-03-02T10:30:00+01:00", duration_minutes=90)
    assert long.status_code == 201 and long.json()["ends_at"] == "2027-03-02T12:00:00+01:00"
    assert desk.book("2027-03-02T11:55:00+01:00").json()["error"]["code"] == "slot_taken"


def test_refusals_of_the_check_are_passed_on(world):
    desk = open_desk(world)
    outside = desk.book("2027-03-02T19:00:00+01:00")
    assert outside.status_code == 409 and outside.json()["error"]["code"] == "outside_opening"
    assert outside.json()["error"]["message"]
    unknown = world.book(motif_id=str(uuid.uuid4()), lieu_id=desk.lieu_id, agent_ids=[desk.agent_id],
                         starts_at="2027-03-02T09:00:00+01:00")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_motif"


def _until_known(world, desk) -> None:
    """Wait until booking's catalogue projection holds the desk's motif and lieu (their events)."""
    import time

    url = world.booking.database_url.replace("postgresql+psycopg://", "postgresql://")
    deadline = time.monotonic() + 10
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute("select count(*) from motifs m, lieux l where m.id = %s and l.id = %s",
                           (desk.motif_id, desk.lieu_id)).fetchone()[0] == 0:
            assert time.monotonic() < deadline, "catalogue events never reached booking"
            time.sleep(0.05)


def test_a_start_inside_a_booked_rdv_is_taken_before_any_other_refusal_but_bad_references(world):
    """Booking answers a start inside an active RDV of an agent at once (slot_taken, naming it); an
    unknown motif or lieu is still a 422 first, and a retry with its Idempotency-Key gets its RDV."""
    desk = open_desk(world)
    _until_known(world, desk)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    usager = uuid.uuid4()
    first = desk.book("2027-03-02T09:00:00+01:00", usager_ids=[usager], headers=key)
    assert first.status_code == 201
    for start in ("2027-03-02T09:00:00+01:00", "2027-03-02T09:20:00+01:00", "2027-03-02T08:45:00+01:00"):
        taken = desk.book(start)
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "slot_taken", start
        assert taken.json()["error"]["details"] == {"rdv_id": first.json()["id"]}
    assert desk.book("2027-03-02T09:30:00+01:00").status_code == 201  # touching is not overlapping
    again = desk.book("2027-03-02T09:00:00+01:00", usager_ids=[usager], headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    unknown = world.book(motif_id=str(uuid.uuid4()), lieu_id=desk.lieu_id, agent_ids=[desk.agent_id],
                         starts_at="2027-03-02T09:00:00+01:00")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_motif"
    unknown = world.book(motif_id=desk.motif_id, lieu_id=str(uuid.uuid4()), agent_ids=[desk.agent_id],
                         starts_at="2027-03-02T09:00:00+01:00")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_lieu"
    with world.client() as c:
        assert c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id)}).json()["total"] == 2


def test_bad_input_is_a_422_in_french_and_writes_nothing(world):
    desk = open_desk(world)
    for body in ({}, {"motif_id": desk.motif_id, "agent_ids": [], "usager_ids": [str(uuid.uuid4())],
                      "starts_at": "2027-03-02T09:00:00+01:00"},
                 {"motif_id": desk.motif_id, "agent_ids": [str(desk.agent_id)], "usager_ids": [str(uuid.uuid4())],
                  "starts_at": "2027-03-02T09:00:00"},
                 {"motif_id": "nope", "agent_ids": [str(desk.agent_id)], "usager_ids": [str(uuid.uuid4())],
                  "starts_at": "2027-03-02T09:00:00+01:00", "duration_minutes": 2},
                 {"motif_id": desk.motif_id, "agent_ids": [str(desk.agent_id)], "usager_ids": [str(uuid.uuid4())],
                  "starts_at": "9999-12-31T23:50:00+00:00"}):
        with world.client() as c:
            resp = c.post("/v1/rdvs", json=body)
        assert resp.status_code == 422, resp.text
        assert resp.json()["error"]["code"] == "validation_error" and resp.json()["error"]["details"]["fields"]
    with world.client() as c:
        assert c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id)}).json()["total"] == 0
        assert c.get("/v1/rdvs", params={"per_page": 201}).status_code == 422
        assert c.get("/v1/rdvs", params={"status": "done"}).status_code == 422
        assert c.get("/v1/rdvs", params={"from": "2027-03-05", "to": "2027-03-01"}).status_code == 422
        assert c.get("/v1/rdvs", params={"from": "0001-01-01", "to": "9999-12-31"}).status_code == 422
        assert c.post(f"/v1/rdvs/{uuid.uuid4()}/status", json={"status": "gone"}).status_code == 422


def test_move_change_agents_duration_and_context(world):
    desk = open_desk(world)
    other = open_desk(world, lieu_id=desk.lieu_id, motif_id=desk.motif_id)
    first = desk.book("2027-03-02T09:00:00+01:00").json()
    second = desk.book("2027-03-02T10:00:00+01:00").json()
    with world.client() as c:
        onto = c.patch(f"/v1/rdvs/{second['id']}", json={"starts_at": "2027-03-02T09:15:00+01:00"})
        assert onto.status_code == 409 and onto.json()["error"]["details"]["rdv_id"] == first["id"]
        longer = c.patch(f"/v1/rdvs/{first['id']}", json={"duration_minutes": 75})
        assert longer.status_code == 409 and longer.json()["error"]["details"]["rdv_id"] == second["id"]
        outside = c.patch(f"/v1/rdvs/{second['id']}", json={"starts_at": "2027-03-02T17:50:00+01:00"})
        assert outside.status_code == 409 and outside.json()["error"]["code"] == "outside_opening"
        assert c.get(f"/v1/rdvs/{second['id']}").json() == second  # refusals change nothing
        moved = c.patch(f"/v1/rdvs/{second['id']}", json={"agent_ids": [str(other.agent_id)],
                                                          "starts_at": "2027-03-02T09:00:00+01:00"})
        assert moved.status_code == 200, moved.text
        assert moved.json()["agent_ids"] == [str(other.agent_id)]
        assert moved.json()["starts_at"] == "2027-03-02T09:00:00+01:00"
        # desk's agent is free at 10:00 again
        assert desk.book("2027-03-02T10:00:00+01:00").status_code == 201
        ctx = c.patch(f"/v1/rdvs/{second['id']}", json={"context": "Apporter le livret de famille"})
        assert ctx.json()["context"] == "Apporter le livret de famille"
        longer = c.patch(f"/v1/rdvs/{second['id']}", json={"duration_minutes": 60})
        assert longer.json()["ends_at"] == "2027-03-02T10:00:00+01:00"
        same = c.patch(f"/v1/rdvs/{second['id']}", json={})
        assert same.json() == longer.json()
        assert c.patch(f"/v1/rdvs/{second['id']}", json={"starts_at": None}).status_code == 422
    events = _outbox(world.booking, second["id"])
    assert [e["type"] for e in events] == ["booking.rdv.created"] + ["booking.rdv.updated"] * 3
    assert events[1]["data"]["changes"]["agent_ids"] == [[str(desk.agent_id)], [str(other.agent_id)]]
    assert events[1]["data"]["changes"]["starts_at"] == ["2027-03-02T10:00:00+01:00", "2027-03-02T09:00:00+01:00"]
    assert events[2]["data"]["changes"] == {"context": [None, "Apporter le livret de famille"]}
    assert events[3]["data"]["changes"]["duration_minutes"] == [30, 60]
    assert [e["data"]["rdv"]["version"] for e in events] == [1, 2, 3, 4]


def test_list_filters_pages_and_sorts_by_start(world):
    desk = open_desk(world)
    usager = uuid.uuid4()
    starts = ["2027-03-02T11:00:00+01:00", "2027-03-01T09:00:00+01:00", "2027-03-02T08:00:00+01:00",
              "2027-03-01T17:00:00+01:00", "2027-03-02T15:30:00+01:00"]
    ids = {s: desk.book(s, usager_ids=[usager] if s.startswith("2027-03-02") else None).json()["id"]
           for s in starts}
    ordered = sorted(starts)
    with world.client() as c:
        page1 = c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id), "per_page": 2}).json()
        page3 = c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id), "per_page": 2, "page": 3}).json()
        assert page1["total"] == 5 and page1["page"] == 1 and page1["per_page"] == 2
        assert [r["id"] for r in page1["items"]] == [ids[s] for s in ordered[:2]]
        assert [r["id"] for r in page3["items"]] == [ids[ordered[4]]]
        beyond = c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id), "page": 9}).json()
        assert beyond["items"] == [] and beyond["total"] == 5
        day2 = c.get("/v1/rdvs", params={"lieu_id": desk.lieu_id, "from": "2027-03-02", "to": "2027-03-02"}).json()
        assert [r["starts_at"] for r in day2["items"]] == sorted(s for s in starts if s.startswith("2027-03-02"))
        by_usager = c.get("/v1/rdvs", params={"usager_id": str(usager)}).json()
        assert by_usager["total"] == 3
        c.post(f"/v1/rdvs/{ids[ordered[0]]}/status", json={"status": "seen"})
        seen = c.get("/v1/rdvs", params={"motif_id": desk.motif_id, "status": "seen"}).json()
        assert [r["id"] for r in seen["items"]] == [ids[ordered[0]]]
        both = c.get("/v1/rdvs", params={"motif_id": desk.motif_id, "status": "seen,unknown"}).json()
        assert both["total"] == 5
        by_service = c.get("/v1/rdvs", params={"service_id": str(world.service_id), "agent_id": str(desk.agent_id)})
        assert by_service.json()["total"] == 5
        assert c.get("/v1/rdvs", params={"service_id": str(uuid.uuid4())}).json()["total"] == 0


def test_a_create_writes_its_event_as_the_outbox_relays_it(world):
    """The create's outbox row (written with the RDV in one statement) has the relay's shape: the event's
    id as row id and Nats-Msg-Id (JetStream's duplicate window), its subject, and the event as payload."""
    desk = open_desk(world)
    rdv = desk.book("2027-03-02T14:00:00+01:00").json()
    url = world.booking.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        row_id, subject, payload, headers = conn.execute(
            "select id, subject, payload, headers from outbox where payload->'data'->'rdv'->>'id' = %s",
            (rdv["id"],)).fetchone()
    assert subject == "booking.rdv.created" and payload["type"] == subject
    assert str(row_id) == payload["id"] == headers["Nats-Msg-Id"]
    assert payload["actor"] == {"kind": "agent", "id": str(world.admin.agent_id)}
