"""The notifications-rdv consumer applies a fetched batch of RDV events together: whatever the batches,
the messages queued and the reminders planned are those of applying each event alone, in order
(versions, moves, agent changes, cancellations, purges, relatives, a projection still missing); due
reminders are queued together too."""
from __future__ import annotations

import functools
import uuid
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import text

from services.notifications.adapters.repository import DUE_CHANNEL
from services.notifications.adapters.render import render
from services.notifications.service_layer.events import BookedRdv
from services.notifications.service_layer.messages import load_contexts, message_rows, queue
from services.notifications.service_layer.projections import on_catalog, on_directory, on_usager
from services.notifications.service_layer.rdv_events import handle_rdv_event, handle_rdv_events, rdv_row
from services.notifications.service_layer.reminders import produce_due_reminders
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared import clock
from shared.db import Database
from shared.events import new_event
from shared.inbox import RetryLater
from shared.settings import to_libpq_url

SENDER = "rdv <rdv@test.rdv>"
COMPOSE = functools.partial(render, sender=SENDER)


class Scenario:
    def __init__(self):
        self.org, self.service, self.motif, self.lieu = (uuid.uuid4() for _ in range(4))
        self.a1, self.a2 = uuid.uuid4(), uuid.uuid4()
        self.u1, self.parent, self.child = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.r1, self.r2, self.r3, self.r4 = (uuid.uuid4() for _ in range(4))
        self.start = (clock.now() + timedelta(days=5)).replace(microsecond=0)

    def ev(self, type_, data, actor=None):
        return new_event(type_, organisation_id=self.org, data=data,
                         actor={"kind": "agent", "id": str(actor)} if actor else None)

    def projections(self):
        return [
            self.ev("directory.organisation.created", {"organisation": {"id": str(self.org), "name": "Dépt"}}),
            self.ev("directory.service.created", {"service": {"id": str(self.service), "name": "PMI"}}),
            *(self.ev("directory.agent.created", {"agent": {"id": str(a), "email": f"{a.hex[:8]}@test.rdv",
                                                            "first_name": "Karim", "last_name": "Benali"}})
              for a in (self.a1, self.a2)),
            self.ev("availability.motif.created", {"motif": {"id": str(self.motif), "name": "Consultation",
                                                             "service_id": str(self.service),
                                                             "location_type": "public_office"}}),
            self.ev("availability.lieu.created", {"lieu": {"id": str(self.lieu), "name": "MDS",
                                                           "address": "12 rue de Belleville", "phone": None}}),
            *(self.ev("usagers.usager.created", {"usager": u}) for u in (
                {"id": str(self.u1), "first_name": "Élodie", "last_name": "Martin", "email": "elodie@example.fr",
                 "phone": "06 12 34 56 78"},
                {"id": str(self.parent), "first_name": "Paul", "last_name": "Durand", "email": "paul@example.fr",
                 "phone": "07 11 22 33 44"},
                {"id": str(self.child), "first_name": "Léa", "last_name": "Durand",
                 "responsible_id": str(self.parent)})),
        ]

    def rdv(self, rdv_id, version, usagers, agents, *, hours=0.0, status="unknown", starts_at=None):
        starts_at = starts_at or self.start + timedelta(hours=hours)
        return {"id": str(rdv_id), "organisation_id": str(self.org), "motif_id": str(self.motif),
                "lieu_id": str(self.lieu), "agent_ids": [str(a) for a in agents],
                "usager_ids": [str(u) for u in usagers], "starts_at": starts_at.isoformat(),
                "ends_at": (starts_at + timedelta(minutes=30)).isoformat(), "status": status, "version": version}

    def events(self):
        soon = clock.now() + timedelta(hours=24)  # too close for a reminder
        r2_moved = self.rdv(self.r2, 2, [self.child], [self.a1], hours=3)
        return [
            self.ev("booking.rdv.created", {"rdv": self.rdv(self.r1, 1, [self.u1], [self.a1, self.a2])}, self.a1),
            self.ev("booking.rdv.created", {"rdv": self.rdv(self.r2, 1, [self.child], [self.a1])}, self.a2),
            self.ev("booking.rdv.updated", {"rdv": r2_moved, "changes": {"starts_at": ["x", "y"]}}, self.a1),
            # an older version arriving late: nothing
            self.ev("booking.rdv.created", {"rdv": self.rdv(self.r1, 1, [self.u1], [self.a1, self.a2])}, self.a1),
            self.ev("booking.rdv.updated", {"rdv": self.rdv(self.r1, 2, [self.u1], [self.a1]), "changes": {
                "agent_ids": [[str(self.a1), str(self.a2)], [str(self.a1)]]}}, self.a1),  # a2 told it is off
            self.ev("booking.rdv.status_changed", {"rdv": {**r2_moved, "version": 3, "status": "revoked"},
                                                   "previous_status": "unknown"}, self.a1),
            self.ev("booking.rdv.created", {"rdv": self.rdv(self.r3, 1, [self.u1], [self.a1])}, self.a1),
            self.ev("booking.rdv.purged", {"rdv_id": str(self.r3), "usager_ids": [str(self.u1)]}),
            self.ev("booking.rdv.created", {"rdv": self.rdv(self.r4, 1, [self.u1], [self.a1], starts_at=soon)},
                    self.a1),
            # the same time again (a status back to unknown): the reminder is kept, not re-planned
            self.ev("booking.rdv.status_changed", {"rdv": self.rdv(self.r1, 3, [self.u1], [self.a1]),
                                                   "previous_status": "seen"}, self.a1),
        ]


async def _setup(db: Database, scenario: Scenario) -> None:
    handlers = {"directory": on_directory, "availability": on_catalog, "usagers": on_usager}
    async with db.uow() as uow:
        for ev in scenario.projections():
            await handlers[ev.type.split(".")[0]](uow, ev)
        await uow.commit()


async def _state(db: Database) -> tuple:
    async with db.uow() as uow:
        messages = sorted(tuple(r) for r in (await uow.execute(text(
            "select rdv_id, cause_id, kind, channel, recipient, status, coalesce(subject, ''), body, "
            "next_attempt_at from messages"))).all())
        reminders = sorted(tuple(r) for r in (await uow.execute(text(
            "select rdv_id, due_at, status from reminders"))).all())
        rdvs = sorted(tuple(r) for r in (await uow.execute(text("select id, version, status from rdvs"))).all())
    return messages, reminders, rdvs


async def _apply(infra, scenario: Scenario, events, batches: list[int]) -> tuple:
    db = Database(infra.migrated_database("notifications"), unit_of_work=NotificationsUnitOfWork)
    try:
        await _setup(db, scenario)
        start = 0
        for size in batches:
            async with db.uow() as uow:
                if size == 1:
                    await handle_rdv_event(uow, events[start], compose=COMPOSE)
                else:
                    await handle_rdv_events(uow, events[start:start + size], compose=COMPOSE)
                await uow.commit()
            start += size
        assert start == len(events)
        return await _state(db)
    finally:
        await db.dispose()


@pytest.mark.parametrize("batches", [[10], [3, 4, 3], [2, 6, 2], [5, 5]])
async def test_batches_end_as_one_event_at_a_time(infra, batches, monkeypatch):
    s = Scenario()
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now)  # the same instant for both runs
    events = s.events()
    one_by_one = await _apply(infra, s, events, [1] * len(events))
    batched = await _apply(infra, s, events, batches)
    assert batched == one_by_one

    messages, reminders, rdvs = one_by_one
    told = sorted((m[0], m[2], m[3], m[4]) for m in messages)
    a1, a2 = f"{s.a1.hex[:8]}@test.rdv", f"{s.a2.hex[:8]}@test.rdv"
    assert told == sorted([
        (s.r1, "confirmation", "sms", "+33612345678"), (s.r1, "confirmation", "email", "elodie@example.fr"),
        (s.r1, "confirmation", "email", a2), (s.r1, "cancellation", "email", a2),
        (s.r2, "confirmation", "sms", "+33711223344"), (s.r2, "confirmation", "email", "paul@example.fr"),
        (s.r2, "confirmation", "email", a1),
        (s.r2, "change", "sms", "+33711223344"), (s.r2, "change", "email", "paul@example.fr"),
        (s.r2, "cancellation", "sms", "+33711223344"), (s.r2, "cancellation", "email", "paul@example.fr"),
        (s.r4, "confirmation", "sms", "+33612345678"), (s.r4, "confirmation", "email", "elodie@example.fr"),
    ])
    assert all(m[5] == "pending" for m in messages)
    assert reminders == sorted([(s.r1, s.start - timedelta(hours=48), "scheduled"),
                                (s.r2, s.start + timedelta(hours=3) - timedelta(hours=48), "cancelled")])
    assert rdvs == sorted([(s.r1, 3, "unknown"), (s.r2, 3, "revoked"), (s.r4, 1, "unknown")])


async def test_a_batch_with_a_missing_projection_waits_whole(infra):
    """The consumer then applies its events one by one: those that can be applied are, the other waits."""
    s = Scenario()
    db = Database(infra.migrated_database("notifications"), unit_of_work=NotificationsUnitOfWork)
    try:
        await _setup(db, s)
        stranger = uuid.uuid4()  # an usager not projected yet
        events = [s.ev("booking.rdv.created", {"rdv": s.rdv(s.r1, 1, [s.u1], [s.a1])}, s.a1),
                  s.ev("booking.rdv.created", {"rdv": s.rdv(s.r2, 1, [stranger], [s.a1])}, s.a1)]
        async with db.uow() as uow:
            with pytest.raises(RetryLater, match=str(stranger)):
                await handle_rdv_events(uow, events, compose=COMPOSE)
        assert await _state(db) == ([], [], [])
    finally:
        await db.dispose()


async def test_queued_messages_wake_the_delivery_loops_once_and_only_when_new(infra):
    s = Scenario()
    database_url = infra.migrated_database("notifications")
    db = Database(database_url, unit_of_work=NotificationsUnitOfWork)
    url = to_libpq_url(database_url)
    try:
        await _setup(db, s)
        event = s.ev("booking.rdv.created", {"rdv": s.rdv(s.r1, 1, [s.u1], [s.a1, s.a2])}, s.a1)
        rdv = rdv_row(BookedRdv.model_validate(event.data["rdv"]), organisation_id=s.org, held_version=None)
        with psycopg.connect(url, autocommit=True) as listener:
            listener.execute(f"listen {DUE_CHANNEL}")
            for round_ in range(2):  # the second time: the same messages, already queued
                async with db.uow() as uow:
                    (ctx,) = await load_contexts(uow, [(rdv, [s.a2])])
                    rows = message_rows(ctx=ctx, rdv=rdv, cause_id=event.id, usager_kind="confirmation",
                                        agent_kinds={s.a2: "confirmation"}, now=clock.now(), compose=COMPOSE)
                    added = await queue(uow, rows + rows[:1])  # one of them twice in the same statement
                    await uow.commit()
                woken = list(listener.notifies(timeout=0.5))
                assert (added, len(woken)) == ((3, 1) if round_ == 0 else (0, 0))
        assert len((await _state(db))[0]) == 3
    finally:
        await db.dispose()


async def test_due_reminders_are_queued_together_each_as_alone(infra):
    """One batch of due reminders: each relevant one queues its messages, one whose RDV is over or
    cancelled, or whose usager is unknown, is skipped; the others are not held back by it."""
    s = Scenario()
    db = Database(infra.migrated_database("notifications"), unit_of_work=NotificationsUnitOfWork)
    try:
        await _setup(db, s)
        events = [s.ev("booking.rdv.created", {"rdv": s.rdv(s.r1, 1, [s.u1], [s.a1])}, s.a1),
                  s.ev("booking.rdv.created", {"rdv": s.rdv(s.r2, 1, [s.child], [s.a1], hours=1)}, s.a1),
                  s.ev("booking.rdv.created", {"rdv": s.rdv(s.r3, 1, [s.u1], [s.a1], hours=2)}, s.a1),
                  s.ev("booking.rdv.status_changed", {"rdv": s.rdv(s.r3, 2, [s.u1], [s.a1], hours=2, status="seen"),
                                                      "previous_status": "unknown"}, s.a1)]
        async with db.uow() as uow:
            await handle_rdv_events(uow, events, compose=COMPOSE)
            # r4: an RDV whose usager is not known here (its reminder cannot be written)
            r4 = {"id": s.r4, "org": s.org, "motif": s.motif, "lieu": s.lieu, "u": uuid.uuid4(), "at": s.start}
            await uow.execute(text(
                "insert into rdvs (id, organisation_id, version, motif_id, lieu_id, agent_ids, usager_ids, starts_at, "
                "ends_at, status) values (:id, :org, 1, :motif, :lieu, '{}', array[cast(:u as uuid)], :at, :at, "
                "'unknown')"), r4)
            await uow.execute(text("insert into reminders (rdv_id, organisation_id, occurrence_id, due_at, status) "
                                   "values (:id, :org, gen_random_uuid(), :at, 'scheduled')"), r4)
            # every reminder falls due now
            await uow.execute(text("update reminders set due_at = now() - interval '1 minute', status = 'scheduled'"))
            await uow.commit()
        assert await produce_due_reminders(db.uow(), compose=COMPOSE) == 4
        messages, reminders, _ = await _state(db)
        told = sorted((m[0], m[2], m[3], m[4]) for m in messages if m[2] == "reminder")
        assert told == sorted([(s.r1, "reminder", "sms", "+33612345678"),
                               (s.r1, "reminder", "email", "elodie@example.fr"),
                               (s.r2, "reminder", "sms", "+33711223344"),
                               (s.r2, "reminder", "email", "paul@example.fr")])
        assert [(r[0], r[2]) for r in reminders] == sorted(
            [(s.r1, "done"), (s.r2, "done"), (s.r3, "skipped"), (s.r4, "skipped")])
        assert await produce_due_reminders(db.uow(), compose=COMPOSE) == 0  # done once
    finally:
        await db.dispose()
