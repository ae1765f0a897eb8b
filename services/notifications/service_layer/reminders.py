"""Turn due reminders (start - 48 h) into messages, once, whichever replica gets there first."""
from __future__ import annotations

import logging

from services.notifications.domain.rules import reminder_still_relevant
from services.notifications.service_layer.messages import (Compose, MissingProjection, contexts, message_rows, needs,
                                                          queue)
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared import clock

log = logging.getLogger("rdv.notifications.reminders")


async def produce_due_reminders(uow: NotificationsUnitOfWork, *, compose: Compose, batch: int = 50) -> int:
    """Claim due reminders (FOR UPDATE SKIP LOCKED: replicas never take the same one) and queue them,
    with one read of what they need and one write of their messages and of their new statuses."""
    now = clock.now()
    async with uow:
        due = await uow.messages.claim_due_reminders(now=now, limit=batch)
        if not due:
            return 0
        rdvs = await uow.messages.rdvs(reminder["rdv_id"] for reminder in due)
        relevant = [rdv for rdv in rdvs.values()
                    if reminder_still_relevant(starts_at=rdv["starts_at"], status=rdv["status"], now=now)]
        found = await uow.messages.snapshot(**needs(relevant), agents=[a for rdv in relevant for a in rdv["agent_ids"]])
        rows, statuses = [], []
        for reminder in due:
            status = "skipped"
            rdv = rdvs.get(reminder["rdv_id"])
            if rdv and reminder_still_relevant(starts_at=rdv["starts_at"], status=rdv["status"], now=now):
                try:
                    (ctx,) = contexts(found, [(rdv, [])])
                except MissingProjection as exc:
                    log.warning("reminder of rdv %s skipped: %s missing", rdv["id"], exc)
                else:
                    rows += message_rows(ctx=ctx, rdv=rdv, cause_id=reminder["occurrence_id"],
                                         usager_kind="reminder", agent_kinds={}, now=now, compose=compose)
                    status = "done"
            statuses.append({"rdv_id": str(reminder["rdv_id"]), "status": status})
        await queue(uow, rows)
        await uow.messages.mark_reminders(statuses, now=now)
        await uow.commit()
    return len(due)
