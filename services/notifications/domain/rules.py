"""Who is told what, and when: pure rules over an RDV event, contacts and the clock."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Iterable

from services.notifications.domain.model import CANCELLED_STATUSES, AgentContact, Contact, Plan, Recipient
from services.notifications.domain.phones import is_mobile, to_e164

REMINDER_BEFORE = timedelta(hours=48)


def plan_for(*, event_type: str, status: str, previous_status: str | None, changes: dict,
             agent_ids: Iterable[uuid.UUID], actor_agent_id: uuid.UUID | None,
             starts_at: datetime, now: datetime) -> Plan:
    """Decide the messages an RDV event causes. Nothing for an RDV that has already started."""
    agent_ids = list(agent_ids)
    if starts_at <= now:
        return Plan(reminder="cancel")
    plan = Plan()
    others = [a for a in agent_ids if a != actor_agent_id]
    if event_type == "booking.rdv.created":
        if status in CANCELLED_STATUSES:
            return Plan(reminder="cancel")
        plan.usager_kind = "confirmation"
        plan.agent_kinds = {a: "confirmation" for a in others}
        plan.reminder = "schedule"
    elif event_type == "booking.rdv.updated":
        if status in CANCELLED_STATUSES:
            return plan
        moved = "starts_at" in changes or "lieu_id" in changes
        if moved:
            plan.usager_kind = "change"
        old_agents, new_agents = _agent_change(changes, agent_ids)
        for a in new_agents:
            if a == actor_agent_id:
                continue
            if a not in old_agents:
                plan.agent_kinds[a] = "confirmation"
            elif moved:
                plan.agent_kinds[a] = "change"
        for a in old_agents:
            if a not in new_agents and a != actor_agent_id:
                plan.agent_kinds[a] = "cancellation"
        plan.reminder = "schedule" if status == "unknown" else "cancel"
    elif event_type == "booking.rdv.status_changed":
        was_cancelled = previous_status in CANCELLED_STATUSES
        if status in CANCELLED_STATUSES and not was_cancelled:
            plan.usager_kind = "cancellation"
            plan.agent_kinds = {a: "cancellation" for a in others}
            plan.reminder = "cancel"
        elif status == "unknown" and was_cancelled:
            plan.usager_kind = "confirmation"
            plan.agent_kinds = {a: "confirmation" for a in others}
            plan.reminder = "schedule"
        elif status == "unknown":
            plan.reminder = "schedule"
        else:
            plan.reminder = "cancel"
    return plan


def _agent_change(changes: dict, agent_ids: list[uuid.UUID]) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    pair = changes.get("agent_ids")
    if not pair or len(pair) != 2:
        return agent_ids, agent_ids
    old, new = pair
    return [uuid.UUID(str(a)) for a in old or []], [uuid.UUID(str(a)) for a in new or []]


def reminder_due_at(starts_at: datetime) -> datetime:
    return starts_at - REMINDER_BEFORE


def should_schedule_reminder(starts_at: datetime, now: datetime) -> bool:
    """A reminder is planned only when its time (start - 48 h) is still ahead."""
    return reminder_due_at(starts_at) > now


def reminder_still_relevant(*, starts_at: datetime, status: str, now: datetime) -> bool:
    """A due reminder is sent only for an active RDV that has not started."""
    return status == "unknown" and starts_at > now


def usager_recipients(contacts: Iterable[Contact]) -> list[Recipient]:
    """SMS to mobiles of usagers who accept SMS, email to those who accept email; no duplicates."""
    seen: set[tuple[str, str]] = set()
    out: list[Recipient] = []
    for c in contacts:
        name = f"{c.first_name} {c.last_name}".strip()
        if c.notify_by_sms and is_mobile(c.phone):
            key = ("sms", to_e164(c.phone or ""))
            if key not in seen:
                seen.add(key)
                out.append(Recipient("sms", key[1], usager_id=c.usager_id, name=name))
        if c.notify_by_email and c.email:
            key = ("email", c.email.strip().lower())
            if key not in seen:
                seen.add(key)
                out.append(Recipient("email", c.email.strip(), usager_id=c.usager_id, name=name))
    return out


def agent_recipient(agent: AgentContact) -> Recipient | None:
    if not agent.email:
        return None
    return Recipient("email", agent.email, agent_id=agent.agent_id,
                     name=f"{agent.first_name} {agent.last_name}".strip())


def retry_delay_seconds(attempt: int, *, base: float, cap: float = 3600.0) -> float:
    """Exponential backoff after the `attempt`-th failed try: base, 2 base, 4 base... capped."""
    return min(base * (2 ** max(attempt - 1, 0)), cap)
