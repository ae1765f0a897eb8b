"""The delivery queue in PostgreSQL: claim the most overdue pending messages, record a round's outcomes
and receipts in one statement, tell when the next message falls due."""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import text

from shared.db import UnitOfWork
from shared.events import Envelope
from shared.outbox import insert_outbox_sql, outbox_json

# The most overdue pending messages, locked (a replica skips those another one holds).
# With dev providers only, nothing leaves the system: the content (2-3 kB an email) stays in the rows.
_CLAIM_SQL = (
    "select id, organisation_id, rdv_id, usager_id, agent_id, channel, kind, recipient, attempts, next_attempt_at, "
    "rdv_starts_at{content} from messages "
    "where status = 'pending' and next_attempt_at <= :now order by next_attempt_at limit :n for update skip locked")
# replies go to the organisation's contact address, as it is when the message leaves
_CLAIM = text(_CLAIM_SQL.format(content=", subject, body, html, attachments, "
                                        "(select o.contact_email from organisations o "
                                        "where o.id = messages.organisation_id) as reply_to"))
_CLAIM_LOCAL = text(_CLAIM_SQL.format(content=""))

# Everything a round writes, in one statement: every outcome, given as one JSON array (a retry keeps
# `pending` and gets a later next_attempt_at; the ids let the planner read the primary key, the JSON
# recordset's row count being unknown to it), and the receipts' outbox rows (`shared.outbox.insert_outbox_sql`, in
# order); a message sent is in the dev inbox (a view of the messages). It answers when the next pending
# message that is not one of the round's falls due (the statement sees the round's messages as they were).
_RECORD = text("""
with outcome as (
  update messages as m set status = v.status, attempts = v.attempts, last_error = v.error,
    sent_at = v.sent_at, next_attempt_at = v.next_attempt_at
  from jsonb_to_recordset(cast(:rows as jsonb)) as v(id uuid, status text, attempts integer, error text,
    sent_at timestamptz, next_attempt_at timestamptz)
  where m.id = v.id and m.id = any(cast(:ids as uuid[]))
), receipts as (
  """ + insert_outbox_sql("events") + """
)
select min(next_attempt_at) from messages where status = 'pending' and id <> all(cast(:ids as uuid[]))
""")
# When no message was claimed: when is the next one due?
_NEXT_DUE = text("select min(next_attempt_at) from messages where status = 'pending'")


class DeliveryRepository:
    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def claim(self, *, now: datetime, limit: int, with_content: bool) -> list:
        """The most overdue pending messages, locked until the transaction ends; `with_content`: their
        subject, body, attachments and reply-to address too (a local sender does not need them)."""
        return (await self._uow.execute(_CLAIM if with_content else _CLAIM_LOCAL,
                                           {"now": now, "n": limit})).mappings().all()

    async def next_due(self) -> datetime | None:
        return (await self._uow.execute(_NEXT_DUE)).scalar()

    async def record(self, outcomes: list[dict], *, ids: list[uuid.UUID], receipts: list[Envelope]) -> datetime | None:
        """Write the outcomes of the claimed messages `ids` and the receipts' outbox rows; return when the
        next pending message that is not one of them falls due."""
        return (await self._uow.execute(_RECORD, {
            "rows": json.dumps(outcomes), "ids": ids, "events": outbox_json(receipts)})).scalar()
