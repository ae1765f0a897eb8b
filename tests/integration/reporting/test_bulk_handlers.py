"""The high-volume reporting consumers apply a fetched batch in bulk: the projection ends as if each
event had been applied alone, in order."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork
from services.reporting.service_layer import handlers
from shared.db import Database
from shared.events import new_event
from tests.support.batches import apply_in_batches

AT = datetime(2027, 3, 1, 8, 0, tzinfo=timezone.utc)


def _outcomes():
    org, rdv = uuid.uuid4(), uuid.uuid4()
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def outcome(status, mid, attempt, minutes, channel="sms", rdv_id=rdv):
        ev = new_event(f"notifications.message.{status}", organisation_id=org, data={"message": {
            "id": str(mid), "rdv_id": str(rdv_id) if rdv_id else None, "usager_id": None, "agent_id": None,
            "channel": channel, "kind": "confirmation", "recipient_masked": "06****12", "attempt": attempt}})
        return ev.model_copy(update={"occurred_at": AT + timedelta(minutes=minutes)})

    return [
        outcome("failed", a, 1, 0),
        outcome("sent", b, 1, 1, channel="email"),
        outcome("sent", a, 2, 2),  # a retry that went through
        outcome("failed", a, 1, 3),  # the first failure redelivered late: a stays sent
        outcome("sent", c, 1, 4, rdv_id=None),  # about no RDV (an agent's digest): not a fact
        outcome("failed", b, 3, 5, channel="email"),  # a later failure does not undo a success either
    ]


async def _apply(db: Database, events, batches: list[int]) -> list:
    await apply_in_batches(db, events, batches, handlers.on_message, handlers.on_messages)
    async with db.uow() as uow:
        return sorted((await uow.execute(text(
            "select message_id, rdv_id, channel, kind, status, attempt, at from rdv_notifications"))).all())


@pytest.mark.parametrize("batches", [[6], [2, 4], [3, 3]])
async def test_notification_outcomes_in_batches_end_as_one_at_a_time(infra, batches):
    events = _outcomes()
    one_by_one = await _apply(Database(infra.migrated_database("reporting"), unit_of_work=ReportingUnitOfWork), events, [1] * len(events))
    batched = await _apply(Database(infra.migrated_database("reporting"), unit_of_work=ReportingUnitOfWork), events, batches)
    assert batched == one_by_one
    assert [(r.status, r.attempt) for r in sorted(batched, key=lambda r: r.channel)] == [("sent", 3), ("sent", 2)]


def _rdv_events():
    org = uuid.uuid4()
    r1, r2, r3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    agent, usager = uuid.uuid4(), uuid.uuid4()

    def rdv(kind, rdv_id, version, status="unknown", minutes=0, **extra):
        start = AT + timedelta(days=1, minutes=minutes)
        payload = {"id": str(rdv_id), "organisation_id": str(org), "motif_id": str(uuid.uuid4()), "lieu_id": None,
                   "agent_ids": [str(agent)], "usager_ids": [str(usager)], "starts_at": start.isoformat(),
                   "ends_at": (start + timedelta(minutes=45)).isoformat(), "status": status,
                   "created_at": AT.isoformat(), "created_by": str(agent), "context": None, "cancelled_at": None,
                   "service_id": str(uuid.uuid4()), "origin": "agent", "version": version, **extra}
        data = {"rdv": payload}
        if kind == "status_changed":
            data["previous_status"] = "unknown"
        return new_event(f"booking.rdv.{kind}", organisation_id=org, data=data)

    return [
        rdv("created", r1, 1),
        rdv("updated", r1, 2, minutes=30, created_by=None),  # created_by kept from what we hold
        rdv("created", r1, 1),  # older, arriving late: ignored
        rdv("created", r2, 1, usager_ids=[], agent_ids=[str(uuid.uuid4()), str(uuid.uuid4())]),
        rdv("status_changed", r1, 3, status="seen", minutes=30),
        new_event("booking.rdv.purged", organisation_id=org, data={"rdv_id": str(r2)}),
        rdv("created", r3, None, duration_minutes=20),  # an older producer without version
        rdv("status_changed", r3, None, status="noshow", duration_minutes=20),
    ]


async def _apply_rdvs(db: Database, events, batches: list[int]) -> tuple:
    await apply_in_batches(db, events, batches, handlers.on_rdv, handlers.on_rdvs)
    async with db.uow() as uow:
        facts = sorted((await uow.execute(text(
            "select id, agent_ids, usager_ids, created_by, starts_at, ends_at, duration_minutes, status, version "
            "from rdv_facts"))).all())
        changes = sorted((await uow.execute(text(
            "select rdv_id, version, status, previous_status from rdv_status_changes"))).all())
    return facts, changes


@pytest.mark.parametrize("batches", [[8], [3, 5], [2, 2, 2, 2]])
async def test_rdv_facts_in_batches_end_as_one_at_a_time(infra, batches):
    events = _rdv_events()
    one_by_one = await _apply_rdvs(Database(infra.migrated_database("reporting"), unit_of_work=ReportingUnitOfWork), events, [1] * len(events))
    batched = await _apply_rdvs(Database(infra.migrated_database("reporting"), unit_of_work=ReportingUnitOfWork), events, batches)
    assert batched == one_by_one
    facts, changes = batched
    assert sorted((f.status, f.version, f.duration_minutes, f.created_by is not None) for f in facts) == [
        ("noshow", None, 20, True), ("seen", 3, 45, True)]
    assert len(changes) == 2
