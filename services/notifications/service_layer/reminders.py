"""Turn due reminders (start - 48 h) into messages, once, whichever replica gets there first."""
from __future__ import annotations

import json
import logging

from sqlalchemy import select, text

from services.notifications.adapters import snapshot
from services.notifications.adapters import tables as t
from services.notifications.domain.rules import reminder_still_relevant
from services.notifications.service_layer.messages import MissingProjection, contexts, message_rows, needs, queue
from shared import clock
from shared.db import Database

log = logging.getLogger("rdv.notifications.reminders")

# The new status of each reminder of a batch, given as one JSON array.
_MARK = text("update reminders as r set status = v.status, updated_at = cast(:now as timestamptz) "
             "from jsonb_to_recordset(cast(:rows as jsonb)) as v(rdv_id uuid, status text) where r.rdv_id = v.rdv_id")


async def produce_due_reminders(db: Database, *, sender: str, batch: int = 50) -> int:
    """Claim due reminders (FOR UPDATE SKIP LOCKED: replicas never take the same one) and queue them,
    with one read of what they need and one write of their messages and of their new statuses."""
    now = clock.now()
    r = t.reminders
    async with db.uow() as uow:
        due = (await uow.execute(
            select(r).where(r.c.status == "scheduled", r.c.due_at <= now)
            .order_by(r.c.due_at).limit(batch).with_for_update(skip_locked=True))).mappings().all()
        if not due:
            return 0
        rdvs = {row["id"]: dict(row) for row in (await uow.execute(
            select(t.rdvs).where(t.rdvs.c.id.in_([reminder["rdv_id"] for reminder in due])))).mappings()}
        relevant = [rdv for rdv in rdvs.values()
                    if reminder_still_relevant(starts_at=rdv["starts_at"], status=rdv["status"], now=now)]
        found = await snapshot.read(uow, **needs(relevant), agents=[a for rdv in relevant for a in rdv["agent_ids"]])
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
                                         usager_kind="reminder", agent_kinds={}, now=now, sender=sender)
                    status = "done"
            statuses.append({"rdv_id": str(reminder["rdv_id"]), "status": status})
        await queue(uow, rows)
        await uow.execute(_MARK, {"rows": json.dumps(statuses), "now": now})
        await uow.commit()
    return len(due)
