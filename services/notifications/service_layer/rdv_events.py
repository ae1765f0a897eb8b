"""React to `booking.rdv.*`: keep the RDV, queue confirmations, changes and cancellations,
plan or drop its reminder."""
from __future__ import annotations

import uuid
from datetime import timezone

from services.notifications.domain import rules
from services.notifications.domain.projected import reminder_rows
from services.notifications.service_layer.events import BookedRdv, RdvEventData, RdvPurgedData
from services.notifications.service_layer.messages import Compose, MissingProjection, contexts, message_rows, needs
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared import clock
from shared.events import Envelope
from shared.inbox import RetryLater


def rdv_row(rdv: BookedRdv, *, organisation_id, held_version: int | None) -> dict:
    version = rdv.version
    if version is None:  # a producer without versions: each event is the next one
        version = (held_version or 0) + 1
    return {"id": rdv.id, "organisation_id": rdv.organisation_id or organisation_id, "version": version,
            "motif_id": rdv.motif_id, "lieu_id": rdv.lieu_id, "agent_ids": rdv.agent_ids, "usager_ids": rdv.usager_ids,
            "starts_at": rdv.starts_at.astimezone(timezone.utc), "ends_at": rdv.ends_at.astimezone(timezone.utc),
            "status": rdv.status or "unknown"}


def _ids_of(rdv: BookedRdv, *, organisation_id) -> dict:
    """The ids an RDV event names (before knowing whether it is applied)."""
    return {"organisation_id": rdv.organisation_id or organisation_id, "motif_id": rdv.motif_id,
            "lieu_id": rdv.lieu_id, "usager_ids": rdv.usager_ids, "agent_ids": rdv.agent_ids}


def _changed_agents(data: RdvEventData) -> list[uuid.UUID]:
    pair = data.changes.get("agent_ids")
    if not pair or len(pair) != 2:
        return []
    return [uuid.UUID(str(a)) for side in pair for a in side or []]


def make_rdv_handler(*, compose: Compose):
    async def on_rdv(uow: NotificationsUnitOfWork, envelope: Envelope) -> None:
        await handle_rdv_event(uow, envelope, compose=compose)
    return on_rdv


def make_rdv_batch_handler(*, compose: Compose):
    async def on_rdvs(uow: NotificationsUnitOfWork, envelopes: list[Envelope]) -> None:
        await handle_rdv_events(uow, envelopes, compose=compose)
    return on_rdvs


async def handle_rdv_event(uow: NotificationsUnitOfWork, envelope: Envelope, *, compose: Compose) -> None:
    """Apply one RDV event; an event older than the RDV we hold changes nothing."""
    await handle_rdv_events(uow, [envelope], compose=compose)


async def handle_rdv_events(uow: NotificationsUnitOfWork, envelopes: list[Envelope], *, compose: Compose) -> None:
    """Apply RDV events in their order, with one read and one write per table for a run of them:
    the outcome is the one of applying them one by one (purges split the runs)."""
    run: list[Envelope] = []
    for envelope in envelopes:
        if envelope.type == "booking.rdv.purged":
            await _apply_run(uow, run, compose=compose)
            run = []
            await purge_rdv(uow, rdv_id=RdvPurgedData.model_validate(envelope.data).rdv_id)
        else:
            run.append(envelope)
    await _apply_run(uow, run, compose=compose)


async def _apply_run(uow: NotificationsUnitOfWork, envelopes: list[Envelope], *, compose: Compose) -> None:
    if not envelopes:
        return
    events = [(e, RdvEventData.model_validate(e.data)) for e in envelopes]
    # One read for the whole run: held versions, what messages are made of, the reminders (locked).
    rdv_ids = [data.rdv.id for _, data in events]
    shapes = [_ids_of(data.rdv, organisation_id=e.organisation_id) for e, data in events]
    found = await uow.messages.snapshot(rdvs=rdv_ids, reminders=rdv_ids, **needs(shapes),
                                        agents=[a for (_, data), shape in zip(events, shapes)
                                                for a in [*shape["agent_ids"], *_changed_agents(data)]])
    now = clock.now()
    applied = _plans(events, held=dict(found.held), now=now)
    if not applied:
        return
    latest = {rdv["id"]: rdv for _, rdv, _ in applied}  # the newest version of each RDV of the run
    # One write: the RDVs, their reminder messages now stale cancelled, the new messages, the reminders.
    await uow.messages.write_run(
        rdvs=list(latest.values()),
        cancel_reminders_of=[rdv["id"] for _, rdv, plan in applied
                             if plan.usager_kind in ("change", "cancellation") or plan.reminder == "cancel"],
        reason="rdv modifié ou annulé", messages=_messages(found, applied, now=now, compose=compose),
        reminders=reminder_rows(_reminder_plans(applied, now=now), current=found.reminders, now=now))


def _plans(events: list[tuple[Envelope, RdvEventData]], *, held: dict[uuid.UUID, int],
           now) -> list[tuple[Envelope, dict, rules.Plan]]:
    """The events of the run that apply (newer than the RDV held, or than an earlier event of the run),
    each with its RDV row and what it tells whom."""
    applied = []
    for envelope, data in events:
        rdv_id = data.rdv.id
        rdv = rdv_row(data.rdv, organisation_id=envelope.organisation_id, held_version=held.get(rdv_id))
        if rdv_id in held and rdv["version"] <= held[rdv_id]:
            continue  # older than the RDV we hold (or than an earlier event of this run)
        held[rdv_id] = rdv["version"]
        actor = envelope.actor
        plan = rules.plan_for(event_type=envelope.type, status=rdv["status"],
                              previous_status=data.previous_status, changes=data.changes,
                              agent_ids=rdv["agent_ids"],
                              actor_agent_id=actor.id if actor.kind == "agent" else None,
                              starts_at=rdv["starts_at"], now=now)
        applied.append((envelope, rdv, plan))
    return applied


def _messages(found, applied: list[tuple[Envelope, dict, rules.Plan]], *, now, compose: Compose) -> list[dict]:
    """The messages the applied events send; RetryLater while something they need has not arrived."""
    telling = [(envelope, rdv, plan) for envelope, rdv, plan in applied if plan.usager_kind or plan.agent_kinds]
    try:
        found_contexts = contexts(found, [(rdv, plan.agent_kinds.keys()) for _, rdv, plan in telling])
    except MissingProjection as exc:
        raise RetryLater(str(exc)) from exc
    rows = []
    for (envelope, rdv, plan), ctx in zip(telling, found_contexts):
        rows += message_rows(ctx=ctx, rdv=rdv, cause_id=envelope.id, usager_kind=plan.usager_kind,
                             agent_kinds=plan.agent_kinds, now=now, compose=compose)
    return rows


def _reminder_plans(applied: list[tuple[Envelope, dict, rules.Plan]], *, now) -> list[tuple]:
    """(rdv_id, organisation_id, due_at or None to cancel) of each applied event that plans or drops a reminder."""
    reminders = []
    for _, rdv, plan in applied:
        if plan.reminder == "schedule":
            due = rules.reminder_due_at(rdv["starts_at"])
            reminders.append((rdv["id"], rdv["organisation_id"],
                              due if rules.should_schedule_reminder(rdv["starts_at"], now) else None))
        elif plan.reminder == "cancel":
            reminders.append((rdv["id"], rdv["organisation_id"], None))
    return reminders


async def purge_rdv(uow: NotificationsUnitOfWork, *, rdv_id: uuid.UUID) -> None:
    """RGPD retention: booking deleted the RDV; its messages (sent or not, so their dev-inbox entries) and
    reminder go too."""
    await uow.messages.purge_rdv(rdv_id)
