"""The reminder 48 h before the start: sent once, on time, moved with the RDV, never after the start."""
from __future__ import annotations

import uuid
from datetime import timedelta

import nats
import pytest_asyncio

from tests.integration.notifications.conftest import ServiceClock, T0, private_nats, query, service_env
from tests.integration.notifications.support import World, mobile, wait_for
from tests.support.service import start_service


def reminders(svc, rdv_id) -> list[tuple]:
    return query(svc.database_url, "select status, due_at from reminders where rdv_id = %(r)s", {"r": rdv_id})


def reminder_messages(svc, rdv_id) -> list[tuple]:
    return query(svc.database_url, "select channel, recipient, status, sent_at from messages "
                 "where rdv_id = %(r)s and kind = 'reminder' order by channel", {"r": rdv_id})


async def test_reminder_is_sent_once_within_a_minute_of_its_time(svc, js, smtp, sms, clock):
    world = await World(js, clock.now()).setup()
    address, phone = f"rappel-{uuid.uuid4().hex[:8]}@example.fr", mobile()
    usager = await world.usager(email=address, phone=phone)
    await wait_for(lambda: query(svc.database_url, "select 1 from usagers where id = %(u)s", {"u": usager["id"]}),
                   message="usager known")
    start = (clock.now() + timedelta(hours=48, seconds=10)).replace(microsecond=0)
    due = start - timedelta(hours=48)
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=start)
    await world.publish("booking.rdv.created", {"rdv": rdv}, actor=world.actor(0))
    await wait_for(lambda: len(sms.to(phone)) == 2, timeout=60, message="confirmation then reminder SMS")
    sent = await wait_for(lambda: [(c, s) for c, _, s, _ in reminder_messages(svc, rdv["id"])] ==
                          [("email", "sent"), ("sms", "sent")] and reminder_messages(svc, rdv["id"]),
                          message="both reminders sent")
    for *_, sent_at in sent:
        assert due <= sent_at <= due + timedelta(seconds=60)
    assert sms.to(phone)[1]["text"].startswith("Rappel RDV")
    (mail,) = [m for m in smtp.to(address) if m["Subject"].startswith("Rappel")]
    assert "mars 2027" in mail["Subject"]
    assert reminders(svc, rdv["id"])[0][0] == "done"
    # Agents get no reminder; a few more ticks of the loop send nothing more.
    await wait_for(lambda: clock.now() > due + timedelta(seconds=3), timeout=10, message="three more ticks")
    assert len(sms.to(phone)) == 2 and len(smtp.to(address)) == 2
    assert len(reminder_messages(svc, rdv["id"])) == 2


async def test_reminder_moves_with_the_rdv_and_goes_with_a_cancellation(svc, js, clock):
    world = await World(js, clock.now()).setup()
    usager = await world.usager(phone=mobile())
    start = (clock.now() + timedelta(days=5)).replace(microsecond=0)
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=start)
    await world.publish("booking.rdv.created", {"rdv": rdv})
    await wait_for(lambda: reminders(svc, rdv["id"]) == [("scheduled", start - timedelta(hours=48))],
                   message="reminder planned")
    later = start + timedelta(days=1)
    moved = dict(rdv, version=2, starts_at=later.isoformat(), ends_at=(later + timedelta(minutes=30)).isoformat())
    await world.publish("booking.rdv.updated", {"rdv": moved, "changes": {"starts_at": [rdv["starts_at"],
                                                                                         moved["starts_at"]]}})
    await wait_for(lambda: reminders(svc, rdv["id"]) == [("scheduled", later - timedelta(hours=48))],
                   message="reminder moved")
    await world.publish("booking.rdv.status_changed", {"rdv": dict(moved, version=3, status="excused"),
                                                       "previous_status": "unknown"})
    await wait_for(lambda: reminders(svc, rdv["id"])[0][0] == "cancelled", message="reminder dropped")
    # Booked less than 48 h ahead: no reminder at all (the confirmation says it all).
    soon = world.rdv(usager_ids=[usager["id"]], starts_at=clock.now() + timedelta(hours=30), agent_ids=[])
    await world.publish("booking.rdv.created", {"rdv": soon})
    await wait_for(lambda: query(svc.database_url, "select count(*) from messages where rdv_id = %(r)s",
                                 {"r": soon["id"]}) == [(1,)], message="confirmation")
    assert reminders(svc, soon["id"]) == []


@pytest_asyncio.fixture
async def lone_nats():
    """A NATS of its own, so that these instances share no durable consumer with `svc`."""
    server = private_nats()
    nc = await nats.connect(server.url)
    yield server, nc
    await nc.drain()
    server.stop()


async def test_reminder_is_never_sent_once_the_rdv_has_started(infra, lone_nats, smtp, sms):
    server, nc = lone_nats
    clock = ServiceClock(T0)
    first = start_service("notifications", infra, env=service_env(server.url, smtp.port, sms.url, clock))
    try:
        world = await World(nc.jetstream(timeout=5), clock.now()).setup()
        phone = mobile()
        usager = await world.usager(phone=phone)
        start = T0 + timedelta(hours=72)
        rdv = world.rdv(usager_ids=[usager["id"]], starts_at=start)
        await world.publish("booking.rdv.created", {"rdv": rdv})
        await wait_for(lambda: reminders(first, rdv["id"]) == [("scheduled", start - timedelta(hours=48))],
                       message="reminder planned")
        await wait_for(lambda: len(sms.to(phone)) == 1, message="confirmation")
    finally:
        first.stop()
    # The service comes back only after the RDV has begun: the overdue reminder is dropped.
    after = ServiceClock(start + timedelta(minutes=1))
    second = start_service("notifications", infra, database_url=first.database_url,
                           env=service_env(server.url, smtp.port, sms.url, after))
    try:
        await wait_for(lambda: reminders(second, rdv["id"])[0][0] == "skipped", message="reminder skipped")
        assert reminder_messages(second, rdv["id"]) == []
        assert len(sms.to(phone)) == 1
    finally:
        second.stop()


async def test_two_replicas_never_send_a_message_twice(infra, lone_nats, smtp, sms):
    server, nc = lone_nats
    clock = ServiceClock(T0)
    env = service_env(server.url, smtp.port, sms.url, clock)
    a = start_service("notifications", infra, env=env)
    b = start_service("notifications", infra, env=env, database_url=a.database_url)
    try:
        world = await World(nc.jetstream(timeout=5), clock.now()).setup()
        phones = [mobile() for _ in range(12)]
        addresses = [f"replica-{uuid.uuid4().hex[:8]}@example.fr" for _ in phones]
        usagers = [await world.usager(phone=p, email=m) for p, m in zip(phones, addresses)]
        await wait_for(lambda: query(a.database_url, "select count(*) from usagers where organisation_id = %(o)s",
                                     {"o": world.org_id}) == [(12,)], message="usagers known")
        # Half of them have their reminder due within seconds: both replicas race for it.
        due = clock.now() + timedelta(seconds=5)
        for i, usager in enumerate(usagers):
            start = due + timedelta(hours=48) if i % 2 else clock.now() + timedelta(days=3 + i)
            await world.publish("booking.rdv.created",
                                {"rdv": world.rdv(usager_ids=[usager["id"]], starts_at=start, agent_ids=[])})
        expected = {p: 2 if i % 2 else 1 for i, p in enumerate(phones)}
        await wait_for(lambda: all(len(sms.to(p)) >= n for p, n in expected.items()), timeout=60,
                       message="every SMS")
        await wait_for(lambda: all(len(smtp.to(a_)) >= expected[p] for p, a_ in zip(phones, addresses)),
                       timeout=30, message="every email")
        # The loops of both replicas keep running: still exactly one of each.
        await wait_for(lambda: clock.now() > due + timedelta(seconds=2) and
                       query(a.database_url, "select count(*) from reminders where status = 'scheduled' "
                             "and due_at < %(n)s", {"n": clock.now()}) == [(0,)], message="reminders done")
        assert {p: len(sms.to(p)) for p in phones} == expected
        assert [len(smtp.to(x)) for x in addresses] == [expected[p] for p in phones]
    finally:
        a.stop()
        b.stop()


async def test_dev_inbox_does_not_exist_in_production(infra, lone_nats):
    server, _ = lone_nats
    prod = start_service("notifications", infra, env={"NATS_URL": server.url, "RDV_ENV": "production",
                                                      "RDV_INTERNAL_SECRET": "secret-de-production-de-test"})
    try:
        with prod.client() as c:
            resp = c.get("/v1/dev/messages")
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    finally:
        prod.stop()
