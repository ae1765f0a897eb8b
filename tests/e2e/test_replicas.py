"""Several replicas on one machine (`rdv up --replicas booking=2,availability=2`): a booking replica
killed (SIGKILL) in the middle of a burst of bookings with idempotency keys loses nothing and doubles
nothing — every booking is made once, and every event reaches its consumers."""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import psycopg
import pytest

from tests.support.procs import service_pids
from tests.support.system import start_system, wait_until

BOOKINGS = 48  # 30-minute slots, 16 a day, over three days
DAYS = ("2027-03-02", "2027-03-03", "2027-03-04")  # Tuesday to Thursday after RDV_NOW (Monday 1 March)


def _consumed(running, consumer: str, result: str) -> float:
    """Events handled by a durable consumer, summed over the replicas of its service."""
    total = 0.0
    for port in _service_pids(running, consumer.split("-")[0]):
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        found = re.search(rf'^rdv_events_consumed_total{{consumer="{consumer}",result="{result}"}} (\S+)$', text, re.M)
        total += float(found.group(1)) if found else 0.0
    return total


def _service_pids(running, service: str) -> dict[int, int]:
    """{port: pid} of the `rdv service <service>` processes under the supervisor."""
    return service_pids(running.proc.pid, service)


@pytest.fixture(scope="module")
def replicated(infra):
    running = start_system(infra=infra, replicas="booking=2,availability=2", timeout=120,
                           env={"RDV_ACCESS_LOG": "1"})
    yield running
    running.stop()


def _setup(running) -> tuple:
    org = running.new_organisation()
    with org.admin() as c:
        me = c.get("/api/v1/me").json()
        service = c.post("/api/v1/services", json={"name": "RSA"}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "Maison France Services", "address": "1 rue de la Paix, Lyon"}).json()
        motif = c.post("/api/v1/motifs", json={
            "name": "Premier entretien", "service_id": service["id"], "duration_minutes": 30,
            "location_type": "public_office", "min_booking_delay_minutes": 0}).json()
        body = {"agent_id": me["id"], "lieu_id": lieu["id"], "motif_ids": [motif["id"]], "title": "Permanence",
                "first_day": DAYS[0], "start_time": "09:00", "end_time": "17:00",
                "recurrence": {"every": "week", "interval": 1, "on": ["tuesday", "wednesday", "thursday"],
                               "until": None}}
        key = str(uuid.uuid4())
        # the new organisation's agent reaches availability through an event: wait for it to be known there
        wait_until(lambda: c.post("/api/v1/plages", json=body, headers={"Idempotency-Key": key}).status_code == 201,
                   timeout=30, interval=0.5, message="plage created")
        usager = c.post("/api/v1/usagers", json={"first_name": "Camille", "last_name": "Martin",
                                                 "phone": "0612345678"}).json()
    return org, me, lieu, motif, usager


def _starts() -> list[str]:
    starts = []
    for day in DAYS:
        first = datetime.fromisoformat(f"{day}T09:00:00+01:00")
        starts += [(first + timedelta(minutes=30 * i)).isoformat() for i in range(16)]
    return starts[:BOOKINGS]


def test_a_booking_replica_killed_during_a_burst_loses_and_doubles_nothing(replicated):
    running = replicated
    org, me, lieu, motif, usager = _setup(running)
    booking_pids = _service_pids(running, "booking")
    assert len(booking_pids) == 2 and len(_service_pids(running, "availability")) == 2
    victim_port, victim = sorted(booking_pids.items())[0]
    keys = {start: str(uuid.uuid4()) for start in _starts()}
    busy_before = _consumed(running, "availability-busy", "applied")
    outcomes: dict[str, list] = {start: [] for start in keys}

    def book(start: str) -> dict:
        body = {"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [me["id"]],
                "usager_ids": [usager["id"]], "starts_at": start}
        deadline = time.time() + 60
        with org.admin() as c:
            while time.time() < deadline:
                try:
                    resp = c.post("/api/v1/rdvs", json=body, headers={"Idempotency-Key": keys[start]})
                except httpx.HTTPError as exc:
                    outcomes[start].append(repr(exc))
                    time.sleep(0.2)
                    continue
                outcomes[start].append(resp.status_code if resp.status_code == 201
                                       else f"{resp.status_code} {resp.text[:160]}")
                if resp.status_code == 201:
                    return resp.json()
                # retry what a client would retry: the service was down, or the first try still runs
                code = resp.json().get("error", {}).get("code") if resp.headers.get("content-type", "").startswith(
                    "application/json") else None
                assert resp.status_code in (502, 503, 504) or code == "idempotency_in_progress", resp.text
                time.sleep(0.2)
        raise AssertionError(f"{start}: never booked: {outcomes[start]}")

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(book, start) for start in keys]
        wait_until(lambda: sum(f.done() for f in futures) >= BOOKINGS // 4, timeout=60, message="burst under way")
        os.kill(victim, signal.SIGKILL)
        rdvs = [f.result() for f in futures]

    retried = {s: o for s, o in outcomes.items() if o != [201]}
    print(f"\n{len(retried)} bookings retried: {list(retried.values())[:8]}")
    # each booking made once: one RDV per slot, and a retry with its key returns the same RDV
    assert len({r["id"] for r in rdvs}) == BOOKINGS
    assert sorted(r["starts_at"] for r in rdvs) == sorted(keys)
    with org.admin() as c:
        answer = c.get("/api/v1/rdvs", params={"agent_id": me["id"], "from": DAYS[0], "to": DAYS[-1],
                                               "per_page": 200})
        assert answer.status_code == 200, f"{answer.text}\n{_booking_lines(running)}"
        listed = answer.json()
        assert listed["total"] == BOOKINGS
        assert {r["id"] for r in listed["items"]} == {r["id"] for r in rdvs}
        first = rdvs[0]
        again = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [me["id"]],
                                             "usager_ids": [usager["id"]], "starts_at": first["starts_at"]},
                       headers={"Idempotency-Key": keys[first["starts_at"]]})
        assert again.status_code == 201 and again.json()["id"] == first["id"]

    # the killed replica was replaced by the supervisor
    with _telling_booking_lines(running):
        wait_until(lambda: _service_pids(running, "booking").get(victim_port) not in (None, victim), timeout=30,
                   message="booking replica restarted")

    # no event lost: one booking.rdv.created per RDV left the outbox ...
    with psycopg.connect(running.env["BOOKING_DATABASE_URL"].replace("+psycopg", "")) as conn:
        subjects = conn.execute(
            "select payload->'data'->'rdv'->>'id', sent_at is not null from outbox "
            "where subject = 'booking.rdv.created' and payload->>'organisation_id' = %s", (org.id,)).fetchall()
    assert sorted(rid for rid, _ in subjects) == sorted(r["id"] for r in rdvs)
    wait_until(lambda: _all_sent(running, org.id), timeout=30, message="outbox drained")

    # ... and reached the consumers: availability (two replicas) no longer offers any booked slot,
    # reporting counts every RDV
    def no_free_slot():
        with org.admin() as c:
            resp = c.get("/api/v1/creneaux", params={"motif_id": motif["id"], "from": DAYS[0], "to": DAYS[-1],
                                                     "agent_id": me["id"]})
        return resp.status_code == 200 and not resp.json()["items"]

    wait_until(no_free_slot, timeout=30, message="every booked slot busy in availability")
    # the durable consumer is shared: each booking.rdv.created was applied by one of the two replicas
    wait_until(lambda: _consumed(running, "availability-busy", "applied") - busy_before == BOOKINGS, timeout=15,
               message="availability-busy applied each event once across its replicas")

    def reporting_counts_all():
        with org.admin() as c:
            resp = c.get("/api/v1/stats", params={"from": DAYS[0], "to": DAYS[-1]})
        return resp.status_code == 200 and resp.json()["total"] == BOOKINGS

    wait_until(reporting_counts_all, timeout=30, message="reporting counted every RDV")


def _all_sent(running, organisation_id: str) -> bool:
    with psycopg.connect(running.env["BOOKING_DATABASE_URL"].replace("+psycopg", "")) as conn:
        return conn.execute("select count(*) from outbox where sent_at is null").fetchone()[0] == 0


def _booking_lines(running) -> str:
    """The supervisor's lines about booking's replicas that are not JSON logs (exits, restarts, tracebacks)."""
    lines = [line for line in running.logs().splitlines()
             if line.lstrip().startswith("booking") and " | {" not in line]
    return "\n".join(lines[-40:])


@contextlib.contextmanager
def _telling_booking_lines(running):
    """A failed wait also tells what the supervisor said of booking's replicas (a restart that did not come)."""
    try:
        yield
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{_booking_lines(running)}") from None


def _json_logs(running) -> list[dict]:
    """The supervisor's output: `<name> | <json line>`."""
    entries = []
    for line in running.logs().splitlines():
        _, sep, body = line.partition(" | ")
        if sep and body.startswith("{"):
            try:
                entries.append(json.loads(body))
            except ValueError:
                pass
    return entries


def test_one_trace_and_request_id_follow_a_booking_across_processes_and_replicas(replicated):
    running = replicated
    org, me, lieu, motif, usager = _setup(running)
    trace_id, request_id = uuid.uuid4().hex, f"test-{uuid.uuid4().hex[:12]}"
    with org.admin() as c:
        resp = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [me["id"]],
                                            "usager_ids": [usager["id"]], "starts_at": f"{DAYS[0]}T10:00:00+01:00"},
                      headers={"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01",
                               "X-Request-Id": request_id})
    assert resp.status_code == 201, resp.text
    assert resp.headers["x-request-id"] == request_id

    def traced_services():
        return {e["service"] for e in _json_logs(running)
                if e.get("trace_id") == trace_id and e.get("request_id") == request_id}

    # gateway -> booking (one of two replicas) -> availability /internal/check (one of two replicas)
    assert wait_until(lambda: traced_services() >= {"gateway", "booking", "availability"}, timeout=15,
                      message="access log lines of the three hops")
    with psycopg.connect(running.env["BOOKING_DATABASE_URL"].replace("+psycopg", "")) as conn:
        header = conn.execute("select headers->>'traceparent' from outbox where payload->'data'->'rdv'->>'id' = %s",
                              (resp.json()["id"],)).fetchone()[0]
    assert header.split("-")[1] == trace_id  # the event goes on with the request's trace

    for port in _service_pids(running, "booking"):  # each replica reports lag (read every 5 s) and latency
        def lag_reported(port=port):
            try:  # the replica killed by the other test may still be restarting
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.HTTPError:
                return None
            return text if 'rdv_consumer_pending{consumer="booking-' in text else None

        with _telling_booking_lines(running):
            body = wait_until(lag_reported, timeout=15, interval=0.5, message="consumer lag on /metrics")
        assert '# TYPE rdv_http_request_seconds histogram' in body and 'rdv_outbox_backlog{service="booking"}' in body
