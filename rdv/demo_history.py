"""Three months of past RDVs for the demo, with their outcomes, so that fiches and statistics have history.

Recorded the way an agent records an RDV after the fact: `POST /api/v1/rdvs` with a start in the past and
`allow_outside_opening` (a few are walk-ins at lunchtime, outside any plage), then `POST .../status`.
Nothing is sent to usagers for an RDV that has already started. Deterministic: one seeded random.
"""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

HISTORY_DAYS = 91
SEED = 2027
# One-hour blocks inside the demo plages (09:00-12:00, 14:00-17:00): every demo motif fits in one.
BLOCKS = (time(9), time(10), time(11), time(14), time(15), time(16))
WALK_IN = time(12, 15)  # outside the plages: recorded with a warning
OUTCOMES = (("seen", 70), ("noshow", 10), ("excused", 12), ("revoked", 8))
# The RDVs of the last weekdays are not all filled in yet: they stay "à renseigner".
STILL_TO_FILL = {1: 1.0, 2: 0.5, 3: 0.3}
CONTEXTS = (None, None, None, "Premier rendez-vous", "Suivi", "Venu avec un proche", "Documents à compléter")
CONCURRENCY = 8


@dataclass(frozen=True)
class Desk:
    """An agent of the demo, the lieu of their plages and the motifs they receive."""

    agent_id: str
    lieu_id: str
    motif_ids: tuple[str, ...]


@dataclass(frozen=True)
class PastRdv:
    body: dict
    status: str


def _outcome(rng: random.Random, weekdays_ago: int) -> str:
    if rng.random() < STILL_TO_FILL.get(weekdays_ago, 0.0):
        return "unknown"
    return rng.choices([s for s, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]


def _weekdays_back(first: date, today: date, closed: set[date]) -> list[tuple[date, int]]:
    """Open weekdays in [first, today), each with its rank counted back from today (1 = the last one)."""
    days = [first + timedelta(days=n) for n in range((today - first).days)]
    open_days = [d for d in days if d.weekday() < 5 and d not in closed]
    return [(d, len(open_days) - i) for i, d in enumerate(open_days)]


def plan_history(*, today: date, tz: ZoneInfo, desks: list[Desk], usager_ids: list[str],
                 closed: set[date], first: date | None = None) -> list[PastRdv]:
    """The past RDVs to record: 0 to 2 per agent and open weekday, in one-hour blocks, seeded."""
    rng = random.Random(SEED)
    first = max(first or today, today - timedelta(days=HISTORY_DAYS))
    planned = []
    for day, rank in _weekdays_back(first, today, closed):
        for desk in desks:
            blocks = sorted(rng.sample(BLOCKS, rng.choices((0, 1, 2), weights=(1, 2, 1))[0]))
            if blocks and rng.random() < 0.04:
                blocks[0] = WALK_IN
            for block in blocks:
                starts_at = datetime.combine(day, block, tzinfo=tz).isoformat()
                body = {"motif_id": rng.choice(desk.motif_ids), "lieu_id": desk.lieu_id,
                        "agent_ids": [desk.agent_id], "usager_ids": [rng.choice(usager_ids)],
                        "starts_at": starts_at, "context": rng.choice(CONTEXTS), "allow_outside_opening": True}
                planned.append(PastRdv(body, _outcome(rng, rank)))
    return planned


async def closed_days(client: httpx.AsyncClient, auth: dict, first: date, last: date) -> set[date]:
    """Public holidays of the organisation's zone between first and last."""
    days: set[date] = set()
    for year in range(first.year, last.year + 1):
        resp = await client.get("/api/v1/jours-feries", params={"year": year}, headers=auth)
        if resp.status_code == 200:
            days.update(date.fromisoformat(h["day"]) for h in resp.json())
    return days


async def record_history(client: httpx.AsyncClient, auth: dict, planned: list[PastRdv]) -> dict[str, int]:
    """Create the past RDVs and set their outcomes, a few at a time; answer how many of each status."""
    gate = asyncio.Semaphore(CONCURRENCY)
    counts: dict[str, int] = {}

    async def one(item: PastRdv) -> None:
        async with gate:
            created = await client.post("/api/v1/rdvs", json=item.body, headers=auth)
            if created.status_code != 201:
                counts["refused"] = counts.get("refused", 0) + 1
                return
            status = item.status
            if status != "unknown":
                changed = await client.post(f"/api/v1/rdvs/{created.json()['id']}/status",
                                            json={"status": status}, headers=auth)
                status = status if changed.status_code == 200 else "unknown"
            counts[status] = counts.get(status, 0) + 1

    await asyncio.gather(*(one(item) for item in planned))
    return counts
