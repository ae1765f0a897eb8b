"""The baseline `bench/booking.py` prints beside its figures: PostgreSQL alone, taking single-row
autocommit INSERTs into a table with the booking database's exclusion constraint, from the same mix
of clients (half on distinct slots, half fighting over the contested ones)."""
from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import timedelta

import psycopg

from bench._booking_targets import DAY, FIGHT_AGENTS, FIGHT_SLOTS_EACH, SLOT_MINUTES


async def raw_insert_rate(infra, *, clients: int, seconds: float) -> float:
    """Single-row autocommit INSERTs into a table with the same exclusion constraint, same mix of clients."""
    url = infra.create_database("bench_raw").replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create extension if not exists btree_gist")
        conn.execute("create table rdv_agents (rdv_id uuid primary key, agent_id uuid not null, "
                     "during tstzrange not null, active boolean not null, "
                     "exclude using gist (agent_id with =, during with &&) where (active))")
    fight_agents = [uuid.uuid4() for _ in range(FIGHT_AGENTS)]
    done = 0
    deadline = time.perf_counter() + seconds

    async def insert(conn, agent, index) -> None:
        nonlocal done
        start = DAY + timedelta(minutes=SLOT_MINUTES * index)
        try:
            await conn.execute("insert into rdv_agents values (%s, %s, tstzrange(%s, %s, '[)'), true)",
                               (uuid.uuid4(), agent, start, start + timedelta(minutes=SLOT_MINUTES)))
            done += 1
        except (psycopg.errors.ExclusionViolation, psycopg.errors.DeadlockDetected):
            pass  # refused (a deadlock between two conflicting inserts is a refusal too)

    async def distinct() -> None:
        agent, index = uuid.uuid4(), 0
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            while time.perf_counter() < deadline:
                await insert(conn, agent, index)
                index += 1

    async def fighter(seed: int) -> None:
        rng = random.Random(seed)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            while time.perf_counter() < deadline:
                await insert(conn, rng.choice(fight_agents), rng.randrange(FIGHT_SLOTS_EACH) * 6)

    started = time.perf_counter()
    half = clients // 2
    await asyncio.gather(*(distinct() for _ in range(half)), *(fighter(i) for i in range(clients - half)))
    return done / (time.perf_counter() - started)
