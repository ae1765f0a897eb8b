"""The inbox's chaos hook (RDV_CHAOS_REDELIVER) against real PostgreSQL and NATS: messages are
nak'ed before and after being applied, JetStream delivers them again, and every event is still
applied exactly once, in the per-message and the batched modes; refused in production."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from shared.events import Envelope
from shared.inbox import Consumer, ConsumerRunner
from shared.inbox_chaos import chaos_probability
from tests.integration.platform.inbox_support import applied_by_n, setup_inbox_test


def _metric(consumer: str, result: str) -> float:
    return REGISTRY.get_sample_value("rdv_events_consumed_total", {"consumer": consumer, "result": result}) or 0.0


@pytest.mark.parametrize("batched", [False, True], ids=["per-message", "batched"])
async def test_forced_redeliveries_still_apply_each_event_once(infra, monkeypatch, batched):
    monkeypatch.setenv("RDV_CHAOS_REDELIVER", "0.4")
    monkeypatch.setenv("RDV_ENV", "test")
    db, nc, js = await setup_inbox_test(infra, name="test-chaos")
    subject = f"booking.c{uuid.uuid4().hex[:8]}.created"
    handled: list[int] = []

    async def handler(uow, envelope):
        handled.append(envelope.data["n"])
        await uow.execute(text("insert into applied (event_id, n) values (:e, :n)"),
                          {"e": envelope.id, "n": envelope.data["n"]})

    count = 120
    for n in range(count):
        ev = Envelope(type=subject, data={"n": n})
        await js.publish(subject, ev.to_json(), headers={"Nats-Msg-Id": str(ev.id)})
    name = f"test-chaos-{uuid.uuid4().hex[:8]}"
    spec = Consumer(name=name, stream="BOOKING", subjects=[subject], handler=handler, batched=batched,
                    batch=20, max_wait=0.02 if batched else None)
    runner = ConsumerRunner(db, js, spec)
    assert runner.chaos == 0.4
    runner.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (len(await applied_by_n(db)) < count or
                                           _metric(name, "duplicate") == 0):
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # would a late copy still be applied?
    await runner.stop()
    got = await applied_by_n(db)
    await nc.close()
    await db.dispose()

    assert sorted(got) == list(range(count)), "every event applied"
    assert all(c == 1 for c in got.values()), "each event applied once"
    assert sorted(handled) == list(range(count)), "the handler ran once per event"
    assert runner.chaos_naks > 0 and _metric(name, "chaos_nak") == runner.chaos_naks
    # some events were applied, committed, nak'ed, delivered again and dropped by the inbox
    assert _metric(name, "duplicate") > 0


def test_chaos_is_refused_in_production(monkeypatch, caplog):
    monkeypatch.setenv("RDV_CHAOS_REDELIVER", "0.5")
    monkeypatch.setenv("RDV_ENV", "production")
    with caplog.at_level(logging.ERROR, logger="rdv.inbox"):
        assert chaos_probability() == 0.0
    assert "refusé en production" in caplog.text
    monkeypatch.setenv("RDV_ENV", "test")
    assert chaos_probability() == 0.5
    for bad in ("1.5", "-0.1", "beaucoup"):
        monkeypatch.setenv("RDV_CHAOS_REDELIVER", bad)
        assert chaos_probability() == 0.0
    monkeypatch.delenv("RDV_CHAOS_REDELIVER")
    assert chaos_probability() == 0.0
