"""Turn due reminders (start - 48 h) into messages, once, whichever replica gets there first."""
from __future__ import annotations

import logging

from sqlalchemy import select, update

from services.notifications.adapters import repository as repo
from services.notifications.adapters import tables as t
from services.notifications.domain.rules import reminder_still_relevant
from services.notifications.service_layer.messages import MissingProjection, load_context, queue_messages
from shared import clock
from shared.db import Database

log = logging.getLogger("rdv.notifications.reminders")


async def produce_due_reminders(db: Database, *, sender: str, batch: int = 50) -> int:
    """Claim due reminders (FOR UPDATE SKIP LOCKED: replicas never take the same one) and queue them."""
    now = clock.now()
    async with db.uow() as uow:
        due = (await uow.execute(
            select(t.reminders).where(t.reminders.c.status == "scheduled", t.reminders.c.due_at <= now)
            .order_by(t.reminders.c.due_at).limit(batch).with_for_update(skip_locked=True))).mappings().all()
        for reminder in due:
            status = "skipped"
            rdv = await repo.get(uow, t.rdvs, reminder["rdv_id"])
            if rdv and reminder_still_relevant(starts_at=rdv["starts_at"], status=rdv["status"], now=now):
                try:
                    ctx = await load_context(uow, rdv)
                except MissingProjection as exc:
                    log.warning("reminder of rdv %s skipped: %s missing", rdv["id"], exc)
                else:
                    await queue_messages(uow, ctx=ctx, rdv=rdv, cause_id=reminder["occurrence_id"],
                                         usager_kind="reminder", agent_kinds={}, now=now, sender=sender)
                    status = "done"
            await uow.execute(update(t.reminders).where(t.reminders.c.rdv_id == reminder["rdv_id"])
                              .values(status=status, updated_at=now))
        await uow.commit()
    return len(due)
