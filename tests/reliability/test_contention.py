"""Many contended booking attempts on few slots: never two overlapping active RDVs of one agent."""
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time as wall, timedelta

from tests.reliability.workload import FIRST_DAY, PARIS, make_workbench, record, size


def test_contended_attempts_never_overlap(rel_system):
    bench = make_workbench(rel_system, agents=3, usagers=5)
    attempts = size(600, 10000)
    rng = random.Random(7)
    base = datetime.combine(FIRST_DAY + timedelta(days=14), wall(9, 0), PARIS)
    # Starts on a 5-minute grid over one hour for 3 agents: 10-minute RDVs overlap half their neighbours.
    jobs = [(rng.choice(bench.agent_ids), (base + timedelta(minutes=5 * rng.randrange(12))).isoformat())
            for _ in range(attempts)]

    def attempt(job):
        agent, start = job
        with bench.org.admin() as c:  # a careful client: 5xx retried with the same Idempotency-Key
            status, body = bench.book(c, agent, start, bench.usagers[0], key=str(uuid.uuid4()))
            return status, (body.get("error") or {}).get("code")

    started = time.time()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(attempt, jobs))
    elapsed = time.time() - started
    created = sum(1 for s, _ in results if s == 201)
    unexpected = [r for r in results if r[0] not in (201, 409)]
    assert unexpected == [], unexpected[:5]
    assert all(code == "slot_taken" for s, code in results if s == 409)
    assert bench.overlaps() == 0
    assert 3 <= created <= 3 * 12
    record("contended_attempts", attempts=attempts, created=created, overlaps=0,
           attempts_per_s=round(attempts / elapsed))
