"""Use case of the audit log: read it (its rows are queued by the edge and inserted by `audit_writer`)."""
from __future__ import annotations

import uuid
from datetime import datetime

from gateway.service_layer.audit_writer import AuditWriter
from gateway.service_layer.unit_of_work import unit_of_work
from shared.db import Database


async def list_entries(*, db: Database, writer: AuditWriter, organisation_id: uuid.UUID, resource_id: str | None,
                       agent_id: uuid.UUID | None, start: datetime | None, end: datetime | None, page: int,
                       per_page: int) -> dict:
    """A page of the organisation's writes, newest first: every write answered so far is in it."""
    await writer.flush()
    async with unit_of_work(db) as uow:
        items, total = await uow.audit.list_entries(organisation_id=organisation_id, resource_id=resource_id,
                                                    agent_id=agent_id, start=start, end=end, page=page,
                                                    per_page=per_page)
    return {"items": items, "total": total, "page": page, "per_page": per_page}
