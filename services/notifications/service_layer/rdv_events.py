"""React to `booking.rdv.*`: keep the RDV, queue confirmations, changes and cancellations,
plan or drop its reminder."""
from __future__ import annotations

import uuid

from services.notifications.domain import rules
from services.notifications.domain.projected import reminder_rows
from services.notifications.service_layer.messages import MissingProjection, contexts, message_rows, needs
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared import clock
from shared.events import Envelope
from shared.inbox import RetryLater
from shared.timeutil import parse_instant


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def rdv_row(data: dict, *, organisation_id, held_version: int | None) -> dict:
    version = data.get("version")
    if version is None:  # a producer without versions: each event is the next one
        version = (held_version or 0) + 1
    return {"id": _uuid(data["id"]), "organisation_id": _uuid(data.get("organisation_id") or organisation_id),
            "version": int(version), "motif_id": _uuid(data["motif_id"]),
            "lieu_id": _uuid(data["lieu_id"]) if data.get("lieu_id") else None,
            "agent_ids": [_uuid(a) for a in data.get("agent_ids") or []],
            "usager_ids": [_uuid(u) for u in data.get("usager_ids") or []],
            "starts_at": parse_instant(str(data["starts_at"])), "ends_at": parse_instant(str(data["ends_at"])),
            "status": data.get("status") or "unknown"}


def _ids_of(data: dict, *, organisation_id) -> dict:
    """The ids an RDV event names (before knowing whether it is applied)."""
    return {"organisation_id": _uuid(data.get("organisation_id") or organisation_id),
            "motif_id": _uuid(data["motif_id"]), "lieu_id": _uuid(data["lieu_id"]) if data.get("lieu_id") else None,
            "usager_ids": [_uuid(u) for u in data.get("usager_ids") or []],
            "agent_ids": [_uuid(a) for a in data.get("agent_ids") or []]}


def _changed_agents(data: dict) -> list[uuid.UUID]:
    pair = (data.get("changes") or {}).get("agent_ids")
    if not pair or len(pair) != 2:
        return []
    return [_uuid(a) for side in pair for a in side or []]


def make_rdv_handler(*, sender: str):
    async def on_rdv(uow: NotificationsUnitOfWork, envelope: Envelope) -> None:
        await handle_rdv_event(uow, envelope, sender=sender)
    return on_rdv


def make_rdv_batch_handler(*, sender: str):
    async def on_rdvs(uow: NotificationsUnitOfWork, envelopes: list[Envelope]) -> None:
        await handle_rdv_events(uow, envelopes, sender=sender)
    return on_rdvs


async def handle_rdv_event(uow: NotificationsUnitOfWork, envelope: Envelope, *, sender: str) -> None:
    """Apply one RDV event; an event older than the RDV we hold changes nothing."""
    await handle_rdv_events(uow, [envelope], sender=sender)


async def handle_rdv_events(uow: NotificationsUnitOfWork, envelopes: list[Envelope], *, sender: str) -> None:
    """Apply RDV events in their order, with one read and one write per table for a run of them:
    the outcome is the one of applying them one by one (purges split the runs)."""
    run: list[Envelope] = []
    for envelope in envelopes:
        if envelope.type == "booking.rdv.purged":
            await _apply_run(uow, run, sender=sender)
            run = []
            await purge_rdv(uow, rdv_id=_uuid(envelope.data["rdv_id"]))
        else:
            run.append(envelope)
    await _apply_run(uow, run, sender=sender)


async def _apply_run(uow: NotificationsUnitOfWork, envelopes: list[Envelope], *, sender: str) -> None:
    if not envelopes:
        return
    # One read for the whole run: held versions, what messages are made of, the reminders (locked).
    rdv_ids = [_uuid(e.data["rdv"]["id"]) for e in envelopes]
    shapes = [_ids_of(e.data["rdv"], organisation_id=e.organisation_id) for e in envelopes]
    found = await uow.messages.snapshot(rdvs=rdv_ids, reminders=rdv_ids, **needs(shapes),
                                        agents=[a for e, shape in zip(envelopes, shapes)
                                                for a in [*shape["agent_ids"], *_changed_agents(e.data)]])
    now = clock.now()
    applied = _plans(envelopes, held=dict(found.held), now=now)
    if not applied:
        return
    latest = {rdv["id"]: rdv for _, rdv, _ in applied}  # the newest version of each RDV of the run
    # One write: the RDVs, their reminder messages now stale cancelled, the new messages, the reminders.
    await uow.messages.write_run(
        rdvs=list(latest.values()),
        cancel_reminders_of=[rdv["id"] for _, rdv, plan in applied
                             if plan.usager_kind in ("change", "cancellation") or plan.reminder == "cancel"],
        reason="rdv modifié ou annulé", messages=_messages(found, applied, now=now, sender=sender),
        reminders=reminder_rows(_reminder_plans(applied, now=now), current=found.reminders, now=now))


def _plans(envelopes: list[Envelope], *, held: dict[uuid.UUID, int],
           now) -> list[tuple[Envelope, dict, rules.Plan]]:
    """The events of the run that apply (newer than the RDV held, or than an earlier event of the run),
    each with its RDV row and what it tells whom."""
    applied = []
    for envelope in envelopes:
        data = envelope.data
        rdv_id = _uuid(data["rdv"]["id"])
        rdv = rdv_row(data["rdv"], organisation_id=envelope.organisation_id, held_version=held.get(rdv_id))
        if rdv_id in held and rdv["version"] <= held[rdv_id]:
            continue  # older than the RDV we hold (or than an earlier event of this run)
        held[rdv_id] = rdv["version"]
        actor = envelope.actor
        plan = rules.plan_for(event_type=envelope.type, status=rdv["status"],
                              previous_status=data.get("previous_status"), changes=data.get("changes") or {},
                              agent_ids=rdv["agent_ids"],
                              actor_agent_id=actor.id if actor.kind == "agent" else None,
                              starts_at=rdv["starts_at"], now=now)
        applied.append((envelope, rdv, plan))
    return applied


def _messages(found, applied: list[tuple[Envelope, dict, rules.Plan]], *, now, sender: str) -> list[dict]:
    """The messages the applied events send; RetryLater while something they need has not arrived."""
    telling = [(envelope, rdv, plan) for envelope, rdv, plan in applied if plan.usager_kind or plan.agent_kinds]
    try:
        found_contexts = contexts(found, [(rdv, plan.agent_kinds.keys()) for _, rdv, plan in telling])
    except MissingProjection as exc:
        raise RetryLater(str(exc)) from exc
    rows = []
    for (envelope, rdv, plan), ctx in zip(telling, found_contexts):
        rows += message_rows(ctx=ctx, rdv=rdv, cause_id=envelope.id, usager_kind=plan.usager_kind,
                             agent_kinds=plan.agent_kinds, now=now, sender=sender)
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
