"""Reads after writes: what a read pays to reflect the write just answered.

    .venv/bin/python -m bench.read_after_write [--rounds 200]

Starts the whole system (`rdv up`, as the e2e tests do) on a quiet machine, one organisation with one agent
open Monday to Friday, then measures through the gateway, one client, one request at a time:
1. quiet reads: créneaux of a day with no write pending (the organisation's positions are all applied);
2. a read right after a write: book a slot, then ask the créneaux of its day at once (the read waits until
   availability's consumer has applied the booking); the same for the usager's fiche (usagers' consumer);
3. the wait itself: read latency right after a write minus the median quiet read (target p95 <= 20 ms);
4. what a read with nothing pending pays for the mechanism: availability's créneaux called directly, with
   and without an `Rdv-Read-After` header whose positions are applied (alternated, same query).
Writes the table into bench/RESULTS.md (section "Reads after writes").
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta

import httpx

from bench._results import write_section

TARGET_WAIT_P95_MS = 20.0


def q(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100)[pct - 1] * 1000


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def setup(system):
    org = system.new_organisation()
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "PMI", "short_name": "PMI"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Consultation", "service_id": service["id"],
                                               "duration_minutes": 15, "location_type": "public_office"}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "Centre", "address": "1 rue Haute, 69001 Lyon"}).json()
    agent, token = org.new_agent(role="basic", service_ids=[service["id"]])
    with system.client(token) as c:
        resp = c.post("/api/v1/plages", json={
            "agent_id": agent["id"], "lieu_id": lieu["id"], "motif_ids": [motif["id"]], "title": "Consultations",
            "first_day": "2027-03-01", "start_time": "08:00", "end_time": "18:00",
            "recurrence": {"every": "week", "interval": 1, "on": ["monday", "tuesday", "wednesday", "thursday",
                                                                  "friday"], "until": None}})
        assert resp.status_code == 201, resp.text
    return org, motif, lieu, agent, token


def weekdays(first: date, count: int) -> list[date]:
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def measure(system, rounds: int) -> dict[str, list[float]]:
    org, motif, lieu, agent, token = setup(system)
    days = weekdays(date(2027, 3, 2), 40)
    out: dict[str, list[float]] = {"quiet": [], "creneaux_after_booking": [], "fiche_after_booking": [],
                                   "fiche_quiet": [], "stale": []}
    with system.client(token) as c:
        usager = c.post("/api/v1/usagers", json={"first_name": "Banc", "last_name": "Essai"}).json()["id"]

        def creneaux(day):
            return c.get("/api/v1/creneaux", params={"motif_id": motif["id"], "from": day.isoformat(),
                                                     "to": day.isoformat(), "agent_id": agent["id"]})
        days = [day for day in days if creneaux(day).json()["items"]]  # warm-up; holidays have no slot
        for i in range(rounds):
            day = days[i % len(days)]
            seconds, free = timed(lambda: creneaux(day))
            out["quiet"].append(seconds)
            seconds, _ = timed(lambda: c.get(f"/api/v1/usagers/{usager}"))
            out["fiche_quiet"].append(seconds)
            slot = free.json()["items"][0]["starts_at"]
            booked = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"],
                                                  "agent_ids": [agent["id"]], "usager_ids": [usager],
                                                  "starts_at": slot})
            assert booked.status_code == 201, booked.text
            seconds, after = timed(lambda: creneaux(day))
            out["creneaux_after_booking"].append(seconds)
            out["stale"].append(float(slot in {x["starts_at"] for x in after.json()["items"]}))
            rdv_id = booked.json()["id"]
            cancelled = c.post(f"/api/v1/rdvs/{rdv_id}/status", json={"status": "revoked"})
            assert cancelled.status_code == 200, cancelled.text
            seconds, fiche = timed(lambda: c.get(f"/api/v1/usagers/{usager}"))
            out["fiche_after_booking"].append(seconds)
    out.update(direct_header_cost(system, org, motif, agent, days))
    return out


def direct_header_cost(system, org, motif, agent, days) -> dict[str, list[float]]:
    """Availability's créneaux called directly, alternating no header and a header of applied positions."""
    import uuid

    from shared.identity import Identity, headers_for

    identity = Identity(kind="agent", organisation_id=uuid.UUID(org.id), agent_id=uuid.UUID(agent["id"]),
                        role="basic", service_ids=[], timezone="Europe/Paris", holiday_zone="metropole")
    base = f"http://127.0.0.1:{system.ports['availability']}"
    plain, with_header = [], []
    with httpx.Client(base_url=base, headers=headers_for(identity), timeout=30) as c:
        params = {"motif_id": motif["id"], "from": days[0].isoformat(), "to": days[0].isoformat(),
                  "agent_ids": agent["id"]}
        for _ in range(20):
            c.get("/v1/creneaux", params=params)
        for i in range(400):
            headers = {"rdv-read-after": "BOOKING:1,DIRECTORY:1"} if i % 2 else {}
            seconds, resp = timed(lambda: c.get("/v1/creneaux", params=params, headers=headers))
            assert resp.status_code == 200, resp.text
            (with_header if i % 2 else plain).append(seconds)
    return {"direct_plain": plain, "direct_with_header": with_header}


def report(out: dict[str, list[float]], rounds: int) -> str:
    quiet50 = statistics.median(out["quiet"])
    fiche50 = statistics.median(out["fiche_quiet"])
    waits = [s - quiet50 for s in out["creneaux_after_booking"]]
    fiche_waits = [s - fiche50 for s in out["fiche_after_booking"]]
    rows = [
        ("créneaux, nothing pending (p50 / p95)", f"{q(out['quiet'], 50):.1f} / {q(out['quiet'], 95):.1f} ms"),
        ("créneaux right after a booking (p50 / p95)",
         f"{q(out['creneaux_after_booking'], 50):.1f} / {q(out['creneaux_after_booking'], 95):.1f} ms"),
        ("wait for availability's consumer (p50 / p95)", f"{q(waits, 50):.1f} / {q(waits, 95):.1f} ms"
         f" (target p95 <= {TARGET_WAIT_P95_MS:.0f} ms)"),
        ("usager fiche, nothing pending (p50 / p95)",
         f"{q(out['fiche_quiet'], 50):.1f} / {q(out['fiche_quiet'], 95):.1f} ms"),
        ("usager fiche right after booking + cancellation (p50 / p95)",
         f"{q(out['fiche_after_booking'], 50):.1f} / {q(out['fiche_after_booking'], 95):.1f} ms"),
        ("wait for usagers' consumer (p50 / p95)", f"{q(fiche_waits, 50):.1f} / {q(fiche_waits, 95):.1f} ms"),
        ("stale créneaux answers", f"{int(sum(out['stale']))} of {rounds}"),
        ("availability direct, no header (p50)", f"{q(out['direct_plain'], 50):.2f} ms"),
        ("availability direct, applied positions (p50)",
         f"{q(out['direct_with_header'], 50):.2f} ms "
         f"(ratio {statistics.median(out['direct_with_header']) / statistics.median(out['direct_plain']):.2f})"),
    ]
    lines = ["| measure | figure |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    return (f"One client through the gateway, one request at a time, {rounds} rounds, whole system on this "
            f"machine.\n\n" + "\n".join(lines) + "\n")


def write_results(text: str) -> None:
    write_section("read-after-write", "Reads after writes", text)


def main() -> None:
    from tests.support.system import start_system

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args()
    system = start_system()
    try:
        text = report(measure(system, args.rounds), args.rounds)
    finally:
        system.stop()
    print(text)
    if not args.no_write:
        write_results(text)


if __name__ == "__main__":
    main()
