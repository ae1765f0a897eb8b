"""What the reliability suite does to the system: an organisation with many open slots,
bookings that retry like a careful client (same Idempotency-Key), and the counts that
must hold afterwards in every service."""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time as wall, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg

from services.availability.domain import jours_feries
from tests.support.system import OrgHandle, RunningSystem, wait_until

FULL = os.environ.get("RDV_RELIABILITY") == "full"
PARIS = ZoneInfo("Europe/Paris")
FIRST_DAY = date(2027, 3, 2)  # the day after the suite's RDV_NOW (Monday 1 March 2027)
SLOT_MINUTES = 10
FIGURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability.json"


def size(reduced: int, full: int) -> int:
    return full if FULL else reduced


def record(name: str, **values) -> None:
    """Keep the figures of a run (README's table is made from them by `make reliability`)."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    data[name] = {"mode": "full" if FULL else "reduced", **values}
    FIGURES.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    print(f"\n[reliability] {name}: " + ", ".join(f"{k}={v}" for k, v in values.items()))


@dataclass
class Workbench:
    system: RunningSystem
    org: OrgHandle
    service_id: str
    lieu_id: str
    motif_id: str
    agent_ids: list[str]
    usagers: list[dict]
    booked: dict[str, str] = field(default_factory=dict)  # idempotency key -> rdv id

    def slots(self, count: int, *, offset: int = 0) -> list[tuple[str, str]]:
        """`count` distinct (agent, start) pairs inside the plages, from `offset` on."""
        per_day = (20 - 8) * 60 // SLOT_MINUTES
        out = []
        i = offset
        while len(out) < count:
            agent = self.agent_ids[i % len(self.agent_ids)]
            k = i // len(self.agent_ids)
            day = _weekday(FIRST_DAY, k // per_day)
            start = datetime.combine(day, wall(8, 0), PARIS) + timedelta(minutes=SLOT_MINUTES * (k % per_day))
            out.append((agent, start.isoformat()))
            i += 1
        return out

    def book(self, client: httpx.Client, agent_id: str, starts_at: str, usager: dict,
             key: str | None = None, deadline: float = 90.0) -> tuple[int, dict]:
        """POST /rdvs, retrying 5xx and connection errors with the same Idempotency-Key."""
        key = key or str(uuid.uuid4())
        body = {"motif_id": self.motif_id, "lieu_id": self.lieu_id, "agent_ids": [agent_id],
                "usager_ids": [usager["id"]], "starts_at": starts_at}
        end = time.time() + deadline
        last = None
        while True:
            try:
                resp = client.post("/api/v1/rdvs", json=body, headers={"Idempotency-Key": key})
                last = (resp.status_code, resp.text[:300])
                in_progress = resp.status_code == 409 and \
                    resp.json()["error"]["code"] == "idempotency_in_progress"
                if resp.status_code < 500 and not in_progress:  # else retry with the same key
                    if resp.status_code in (200, 201):
                        self.booked[key] = resp.json()["id"]
                    return resp.status_code, resp.json()
            except httpx.HTTPError as exc:
                last = repr(exc)
            if time.time() > end:
                raise AssertionError(f"booking {key} never went through: {last}")
            time.sleep(0.2)

    def book_many(self, slots: list[tuple[str, str]], *, workers: int = 8) -> list[int]:
        def one(i_slot):
            i, (agent, start) = i_slot
            with self.org.admin() as c:
                return self.book(c, agent, start, self.usagers[i % len(self.usagers)])[0]

        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, enumerate(slots)))

    def book_during(self, count: int, chaos) -> tuple[list[int], float]:
        """Book `count` slots while `chaos()` breaks things in a thread of its own; the statuses and the
        seconds it all took (the bookings and the chaos both done)."""
        started = time.time()
        thread = threading.Thread(target=chaos)
        thread.start()
        statuses = self.book_many(self.slots(count))
        thread.join()
        return statuses, time.time() - started

    # ---- what every service must show ----
    def window(self) -> dict:
        return {"from": FIRST_DAY.isoformat(), "to": (FIRST_DAY + timedelta(days=60)).isoformat()}

    def booking_total(self) -> int:
        with self.org.admin() as c:
            return c.get("/api/v1/rdvs", params={**self.window(), "per_page": 1}).json()["total"]

    def reporting_total(self) -> int:
        with self.org.admin() as c:
            resp = c.get("/api/v1/stats", params={**self.window(), "group_by": "status"})
            return resp.json()["total"] if resp.status_code == 200 else -1

    def usagers_total(self) -> int:
        total = 0
        with self.org.admin() as c:
            for u in self.usagers:
                resp = c.get(f"/api/v1/usagers/{u['id']}")
                if resp.status_code != 200:
                    return -1
                total += resp.json()["stats"]["total"]
        return total

    def confirmations(self) -> dict[str, int]:
        """Usager confirmation emails per RDV, read in the notifications database."""
        url = self.system.env["NOTIFICATIONS_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        emails = [u["email"] for u in self.usagers]
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "select rdv_id::text, count(*) from messages where kind = 'confirmation' and channel = 'email' "
                "and recipient = any(%s) and organisation_id = %s group by rdv_id", (emails, self.org.id)).fetchall()
        return dict(rows)

    def overlaps(self) -> int:
        """Pairs of active RDVs of one agent that overlap, straight from the booking database."""
        url = self.system.env["BOOKING_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as conn:
            return conn.execute(
                "select count(*) from rdv_agents a join rdv_agents b on a.agent_id = b.agent_id "
                "and a.rdv_id < b.rdv_id and a.during && b.during where a.active and b.active").fetchone()[0]

    def _counts(self, read) -> int:
        try:
            return read()
        except (httpx.HTTPError, KeyError, ValueError):  # a service restarting answers later
            return -1

    def converge(self, expected: int, *, timeout: float = 120.0) -> dict:
        """Wait until booking, reporting, usagers and notifications all count `expected` RDVs."""
        started = time.time()
        wait_until(lambda: self._counts(self.booking_total) == expected, timeout=timeout, message="booking total")
        wait_until(lambda: self._counts(self.reporting_total) == expected, timeout=timeout,
                   message="reporting total")
        wait_until(lambda: self._counts(self.usagers_total) == expected, timeout=timeout, interval=0.5,
                   message="usagers fiche totals")
        wait_until(lambda: len(self.confirmations()) == expected, timeout=timeout, interval=0.5,
                   message="one confirmation per RDV")
        time.sleep(1.0)  # would a late duplicate still arrive?
        counts = self.confirmations()
        return {"converged_s": round(time.time() - started, 1),
                "duplicates": sum(1 for n in counts.values() if n != 1)}


_OPEN_DAYS: list[date] = []


def _weekday(first: date, n: int) -> date:
    """The n-th open day from `first` on (`first` being the 0th): Monday to Friday, less the public
    holidays of metropolitan France, when every agenda is closed (a long run reaches Easter Monday)."""
    if not _OPEN_DAYS or _OPEN_DAYS[0] != first:
        _OPEN_DAYS[:] = [first]
    day = _OPEN_DAYS[-1]
    while len(_OPEN_DAYS) <= n:
        day += timedelta(days=1)
        if day.weekday() < 5 and not jours_feries.between(day, day, "metropole"):
            _OPEN_DAYS.append(day)
    return _OPEN_DAYS[n]


def make_workbench(system: RunningSystem, *, agents: int = 10, usagers: int = 10) -> Workbench:
    org = system.new_organisation()
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "Accueil", "short_name": "ACC"}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "Mairie annexe", "address": "1 place de la Mairie, 75001 Paris"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Accueil", "service_id": service["id"],
                                               "duration_minutes": SLOT_MINUTES, "location_type": "public_office"}).json()
        agent_ids = []
        for _ in range(agents):
            agent, _token = org.new_agent(role="basic", service_ids=[service["id"]])
            agent_ids.append(agent["id"])
            resp = c.post("/api/v1/plages", json={
                "agent_id": agent["id"], "lieu_id": lieu["id"], "motif_ids": [motif["id"]], "title": "Permanence",
                "first_day": FIRST_DAY.isoformat(), "start_time": "08:00", "end_time": "20:00",
                "recurrence": {"every": "week", "interval": 1,
                               "on": ["monday", "tuesday", "wednesday", "thursday", "friday"], "until": None}})
            assert resp.status_code == 201, resp.text
        people = []
        for i in range(usagers):
            resp = c.post("/api/v1/usagers", json={"first_name": f"Usager{i}", "last_name": "Fiable",
                                                   "email": f"u{i}-{uuid.uuid4().hex[:6]}@example.fr"})
            assert resp.status_code == 201, resp.text
            people.append(resp.json()["usager"] if "usager" in resp.json() else resp.json())
    return Workbench(system, org, service["id"], lieu["id"], motif["id"], agent_ids, people)
