"""Forced redelivery: every consumer of a system started with RDV_CHAOS_REDELIVER=0.3 naks about
a third of its messages before applying them and a third after committing them, so JetStream
delivers them again. Nothing may show it: one notification per cause, projections equal to the
truth in booking."""
from __future__ import annotations

import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.reliability.workload import make_workbench, record, size
from tests.support.system import start_system, wait_until

CHAOS = "0.3"
STATUSES = ("unknown", "seen", "noshow", "excused", "revoked")
CONSUMING = ("availability", "booking", "usagers", "notifications", "reporting", "gateway")


@pytest.fixture(scope="module")
def chaos_system():
    running = start_system(env={"RDV_CHAOS_REDELIVER": CHAOS})
    yield running
    running.stop()


def consumed(system) -> Counter:
    """rdv_events_consumed_total summed by result over every process of the system."""
    totals: Counter = Counter()
    for name in CONSUMING:
        try:
            text = httpx.get(f"http://127.0.0.1:{system.ports[name]}/metrics", timeout=5).text
        except httpx.HTTPError:
            continue
        for result, value in re.findall(r'^rdv_events_consumed_total\{[^}]*result="(\w+)"[^}]*\} ([0-9.e+]+)$',
                                        text, re.M):
            totals[result] += int(float(value))
    return totals


def booking_by_status(bench) -> dict[str, int]:
    with bench.org.admin() as c:
        return {s: c.get("/api/v1/rdvs", params={**bench.window(), "status": s, "per_page": 1}).json()["total"]
                for s in STATUSES}


def reporting_by_status(bench) -> dict[str, int] | None:
    with bench.org.admin() as c:
        resp = c.get("/api/v1/stats", params={**bench.window(), "group_by": "status"})
    if resp.status_code != 200:
        return None
    body = resp.json()
    return {"total": body["total"], **{s: body["by_status"].get(s, 0) for s in STATUSES}}


def fiche_counts(bench) -> dict[str, int]:
    totals: Counter = Counter()
    with bench.org.admin() as c:
        for u in bench.usagers:
            stats = c.get(f"/api/v1/usagers/{u['id']}").json()["stats"]
            for key in ("total", "excused", "revoked"):
                totals[key] += stats[key]
    return dict(totals)


def usager_messages(bench, kind: str) -> dict[str, int]:
    url = bench.system.env["NOTIFICATIONS_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    emails = [u["email"] for u in bench.usagers]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select rdv_id::text, count(*) from messages where kind = %s and channel = 'email' "
            "and recipient = any(%s) and organisation_id = %s group by rdv_id", (kind, emails, bench.org.id)).fetchall()
    return dict(rows)


def test_forced_redeliveries_change_nothing_visible(chaos_system):
    started = time.time()
    bench = make_workbench(chaos_system, agents=10, usagers=10)
    count = size(100, 1000)
    statuses = bench.book_many(bench.slots(count), workers=8)
    assert statuses.count(201) == count, Counter(statuses)
    converged = bench.converge(count, timeout=180)
    assert converged["duplicates"] == 0

    # cancel one RDV in five (half excused, half revoked), through the API like an agent
    rdv_ids = sorted(bench.booked.values())
    cancelled = {rdv_id: ("excused" if i % 2 else "revoked") for i, rdv_id in enumerate(rdv_ids[::5])}

    def cancel(item):
        """Like a careful client: retry a 5xx or a dropped connection; a retry of a change that went
        through answers 409 invalid_transition, and the RDV then has the wanted status."""
        rdv_id, status = item
        deadline = time.time() + 60
        with bench.org.admin() as c:
            while True:
                try:
                    resp = c.post(f"/api/v1/rdvs/{rdv_id}/status", json={"status": status})
                    if resp.status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                assert time.time() < deadline, f"status of {rdv_id} never changed"
                time.sleep(0.2)
            if resp.status_code == 409 and c.get(f"/api/v1/rdvs/{rdv_id}").json()["status"] == status:
                return 200
            return resp.status_code

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(cancel, cancelled.items()))
    assert answers.count(200) == len(cancelled), Counter(answers)

    truth = booking_by_status(bench)
    assert truth["excused"] + truth["revoked"] == len(cancelled) and sum(truth.values()) == count
    wait_until(lambda: reporting_by_status(bench) == {"total": count, **truth}, timeout=120, interval=0.5,
               message="reporting stats equal booking's counts")
    wait_until(lambda: fiche_counts(bench) == {"total": count, "excused": truth["excused"],
                                               "revoked": truth["revoked"]},
               timeout=120, interval=0.5, message="usagers fiches equal booking's counts")
    wait_until(lambda: len(usager_messages(bench, "cancellation")) == len(cancelled), timeout=120, interval=0.5,
               message="one cancellation per cancelled RDV")
    time.sleep(2.0)  # would a late copy still be applied?

    confirmations = usager_messages(bench, "confirmation")
    cancellations = usager_messages(bench, "cancellation")
    duplicates = sum(n - 1 for n in (*confirmations.values(), *cancellations.values()))
    assert len(confirmations) == count and set(confirmations.values()) == {1}, "one confirmation per RDV"
    assert set(cancellations) == set(cancelled) and set(cancellations.values()) == {1}, \
        "one cancellation per cancelled RDV"
    assert reporting_by_status(bench) == {"total": count, **truth}
    assert bench.overlaps() == 0

    figures = consumed(chaos_system)
    # the chaos really happened: messages nak'ed, and applied events delivered again and dropped
    assert figures["chaos_nak"] > 0 and figures["duplicate"] > 0, figures
    record("forced_redelivery", chaos_probability=float(CHAOS), rdvs=count, cancelled=len(cancelled),
           events_applied=figures["applied"], forced_redeliveries=figures["chaos_nak"],
           duplicates_dropped=figures["duplicate"], duplicate_notifications=duplicates,
           converged_s=converged["converged_s"], total_s=round(time.time() - started, 1))
