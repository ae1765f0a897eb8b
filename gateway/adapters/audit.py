"""The audit log: every write through the gateway (who, when, what, which resource, result)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, text

from gateway.adapters.tables import audit_log
from shared.sqljson import json_rows

AUDIT_COLUMNS = ("organisation_id", "agent_id", "at", "method", "path", "resource_id", "status", "ip", "replayed")
_COLUMNS = ", ".join(AUDIT_COLUMNS)
# The rows of the writes through the gateway, in order, in one constant statement over a JSON array
# (an executemany runs one INSERT per row); `gateway.adapters.closing` runs it with a write's other rows.
AUDIT_RECORDSET = (
    f"insert into audit_log ({_COLUMNS}) select {_COLUMNS} from rows from (jsonb_to_recordset(cast(:rows as jsonb)) "
    "as (organisation_id uuid, agent_id uuid, at timestamptz, method text, path text, resource_id text, "
    "status int, ip text, replayed boolean)) with ordinality as e(" + _COLUMNS + ", n) order by n")
_ADD_ENTRIES = text(AUDIT_RECORDSET)


def entry_dict(row) -> dict:
    return {"id": row.id, "at": row.at, "organisation_id": row.organisation_id, "agent_id": row.agent_id,
            "method": row.method, "path": row.path, "resource_id": row.resource_id, "status": row.status,
            "replayed": row.replayed}


class AuditRepository:
    """The audit log: every write through the gateway (who, when, what, which resource, result)."""

    def __init__(self, uow):
        self._uow = uow

    async def add_entries(self, *, entries: list[dict]) -> None:
        """Several rows in one statement, in the order given."""
        await self._uow.execute(_ADD_ENTRIES, {"rows": json_rows(entries, AUDIT_COLUMNS)})

    async def list_entries(self, *, organisation_id: uuid.UUID, resource_id: str | None,
                           agent_id: uuid.UUID | None, start: datetime | None, end: datetime | None,
                           page: int, per_page: int) -> tuple[list[dict], int]:
        where = [audit_log.c.organisation_id == organisation_id]
        if resource_id:
            where.append(audit_log.c.resource_id == resource_id)
        if agent_id:
            where.append(audit_log.c.agent_id == agent_id)
        if start:
            where.append(audit_log.c.at >= start)
        if end:
            where.append(audit_log.c.at < end)
        total = (await self._uow.execute(select(func.count()).select_from(audit_log).where(*where))).scalar_one()
        rows = await self._uow.execute(select(audit_log).where(*where)
                                       .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
                                       .limit(per_page).offset((page - 1) * per_page))
        return [entry_dict(r) for r in rows], total
