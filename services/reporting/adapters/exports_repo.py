"""The export jobs table: create, list, claim (FOR UPDATE SKIP LOCKED), finish, expire."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text

from shared.db import UnitOfWork

_COLUMNS = ("id, organisation_id, agent_id, kind, filters, role, service_ids, timezone, status, progress, rows, "
            "filename, path, error, created_at, expires_at, file_removed")


class ExportRepository:
    """The export jobs, in the unit of work's transaction."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def insert(self, row: dict) -> None:
        await self._uow.execute(text(
            "insert into exports (id, organisation_id, agent_id, kind, filters, role, service_ids, timezone, status, "
            "progress, filename, created_at) values (:id, :organisation_id, :agent_id, :kind, cast(:filters as jsonb), "
            ":role, :service_ids, :timezone, 'pending', 0, :filename, :created_at)"), row)

    async def get(self, *, organisation_id: uuid.UUID, export_id: uuid.UUID):
        return (await self._uow.execute(
            text(f"select {_COLUMNS} from exports where id = :id and organisation_id = :org"),
            {"id": export_id, "org": organisation_id})).mappings().first()

    async def list_for(self, *, organisation_id: uuid.UUID, agent_id: uuid.UUID, since: datetime,
                       limit: int, offset: int) -> tuple[list, int]:
        params = {"org": organisation_id, "agent": agent_id, "since": since, "limit": limit, "offset": offset}
        where = "where organisation_id = :org and agent_id = :agent and created_at >= :since"
        total = (await self._uow.execute(text(f"select count(*) from exports {where}"), params)).scalar_one()
        rows = (await self._uow.execute(text(
            f"select {_COLUMNS} from exports {where} order by created_at desc, id limit :limit offset :offset"),
            params)).mappings().all()
        return list(rows), total

    async def claim_next(self, *, stale_seconds: float):
        """Take the oldest pending job (or a running one whose worker went silent); others skip it."""
        return (await self._uow.execute(text(f"""
            update exports set status = 'running', progress = 0, heartbeat_at = now(),
                   started_at = coalesce(started_at, now())
            where id = (select id from exports
                        where status = 'pending'
                           or (status = 'running' and heartbeat_at < now() - make_interval(secs => :stale))
                        order by created_at for update skip locked limit 1)
            returning {_COLUMNS}"""), {"stale": stale_seconds})).mappings().first()

    async def set_progress(self, *, export_id: uuid.UUID, progress: int) -> None:
        await self._uow.execute(text("update exports set progress = :p, heartbeat_at = now() "
                                        "where id = :id and status = 'running'"), {"id": export_id, "p": progress})

    async def finish(self, *, export_id: uuid.UUID, rows: int, path: str, finished_at: datetime,
                     expires_at: datetime) -> None:
        await self._uow.execute(text(
            "update exports set status = 'done', progress = 100, rows = :rows, path = :path, finished_at = :at, "
            "expires_at = :exp, error = null where id = :id"),
            {"id": export_id, "rows": rows, "path": path, "at": finished_at, "exp": expires_at})

    async def fail(self, *, export_id: uuid.UUID, error: str, finished_at: datetime) -> None:
        await self._uow.execute(
            text("update exports set status = 'failed', error = :e, finished_at = :at where id = :id"),
            {"id": export_id, "e": error[:2000], "at": finished_at})

    async def expired(self, *, now: datetime) -> list:
        return list((await self._uow.execute(text(
            "select id, path from exports where expires_at <= :now and not file_removed for update skip locked"),
            {"now": now})).mappings().all())

    async def mark_removed(self, *, export_ids: list[uuid.UUID]) -> None:
        await self._uow.execute(text("update exports set file_removed = true where id = any(:ids)"),
                                   {"ids": export_ids})

    async def organisation(self, organisation_id: uuid.UUID):
        return (await self._uow.execute(text("select name, slug, timezone from organisations where id = :id"),
                                           {"id": organisation_id})).mappings().first()
