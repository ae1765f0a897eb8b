"""Export use cases: ask for an export, list mine, download it; the worker's job and the cleanup."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from services.reporting.domain.export_file import export_filename
from services.reporting.domain.scope import RdvFilters, Viewer
from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork
from shared.errors import AppError, Conflict, NotFound
from shared import events
from shared.events import new_event
from shared.timeutil import iso, local_day

log = logging.getLogger("rdv.reporting.exports")

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportExpired(AppError):
    status = 410
    code = "export_expired"
    message = "Cet export a expiré : demandez-en un nouveau."


def present(row, timezone: str) -> dict:
    """The export as the API shows it."""
    return {"id": str(row["id"]), "kind": row["kind"], "status": row["status"], "progress": row["progress"],
            "rows": row["rows"], "filename": row["filename"],
            "filters": row["filters"], "expired": bool(row["file_removed"]),
            "error": "L'export a échoué." if row["status"] == "failed" else None,
            "created_at": iso(row["created_at"], timezone),
            "expires_at": iso(row["expires_at"], timezone) if row["expires_at"] else None}


async def request_export(*, uow: ReportingUnitOfWork, viewer: Viewer, filters: RdvFilters, timezone: str,
                         now: datetime) -> dict:
    """Record a pending export job of the RDVs the requester can see; the worker writes it."""
    async with uow:
        org = await uow.exports.organisation(viewer.organisation_id)
        filename = export_filename(day=local_day(now, timezone), organisation_slug=org["slug"] if org else None,
                                   organisation_name=org["name"] if org else None)
        export_id = uuid.uuid4()
        await uow.exports.insert({
            "id": export_id, "organisation_id": viewer.organisation_id, "agent_id": viewer.agent_id,
            "kind": "rdvs", "filters": json.dumps(filters.to_json()),
            "role": "admin" if viewer.is_admin else "basic", "service_ids": list(viewer.service_ids),
            "timezone": timezone, "filename": filename, "created_at": now})
        # Read before committing: once committed, the worker may already have taken the job, and the
        # answer to the request is the job as it was asked for (contract: 202 `{id, status: pending}`).
        row = await uow.exports.get(organisation_id=viewer.organisation_id, export_id=export_id)
        await uow.commit()
    return present(row, timezone)


async def list_exports(*, uow: ReportingUnitOfWork, viewer: Viewer, timezone: str, now: datetime, days: int,
                       page: int, per_page: int) -> dict:
    """The requester's exports of the last `days` days, newest first."""
    async with uow:
        rows, total = await uow.exports.list_for(organisation_id=viewer.organisation_id, agent_id=viewer.agent_id,
                                                 since=now - timedelta(days=days), limit=per_page,
                                                 offset=(page - 1) * per_page)
    return {"items": [present(r, timezone) for r in rows], "total": total, "page": page, "per_page": per_page}


async def _owned(uow: ReportingUnitOfWork, viewer: Viewer, export_id: uuid.UUID):
    async with uow:
        row = await uow.exports.get(organisation_id=viewer.organisation_id, export_id=export_id)
    if row is None or row["agent_id"] != viewer.agent_id:
        raise NotFound("Export introuvable.")  # someone else's export does not exist for you
    return row


async def get_export(*, uow: ReportingUnitOfWork, viewer: Viewer, export_id: uuid.UUID, timezone: str) -> dict:
    """One export of the requester, as the API shows it."""
    return present(await _owned(uow, viewer, export_id), timezone)


async def export_file(*, uow: ReportingUnitOfWork, viewer: Viewer, export_id: uuid.UUID,
                      now: datetime) -> tuple[Path, str]:
    """The file of a finished export of the requester: (path, filename)."""
    row = await _owned(uow, viewer, export_id)
    if row["status"] in ("pending", "running"):
        raise Conflict("L'export n'est pas encore prêt.", code="export_not_ready",
                       details={"status": row["status"], "progress": row["progress"]})
    if row["status"] == "failed":
        raise Conflict("L'export a échoué : demandez-en un nouveau.", code="export_failed")
    path = Path(row["path"] or "")
    if row["file_removed"] or (row["expires_at"] and row["expires_at"] <= now) or not path.is_file():
        raise ExportExpired()
    return path, row["filename"]


# ---- the worker's side --------------------------------------------------------------------------

# Writes the XLSX of a job (adapters.xlsx_export.write_rdv_export with its database): keyword arguments
# viewer, filters, timezone, today, organisation_name, path, on_progress; returns the number of RDVs.
ExportWriter = Callable[..., int]


async def run_next_job(*, uows: Callable[[], ReportingUnitOfWork], write_export: ExportWriter, exports_dir: Path,
                       now_fn, ttl_days: int, stale_seconds: float) -> bool:
    """Claim one pending job and write its file; return False when there was none."""
    async with uows() as uow:
        job = await uow.exports.claim_next(stale_seconds=stale_seconds)
        await uow.commit()
        if job is None:
            return False
        org = await uow.exports.organisation(job["organisation_id"])
    path = exports_dir / f"{job['id']}.xlsx"
    try:
        rows = await _write(job, uows=uows, write_export=write_export, path=path,
                            organisation_name=org["name"] if org else "", today=local_day(now_fn(), job["timezone"]))
    except Exception as exc:
        log.exception("export %s failed", job["id"])
        with contextlib.suppress(FileNotFoundError):
            path.with_suffix(".part").unlink()
        async with uows() as uow:
            await uow.exports.fail(export_id=job["id"], error=repr(exc), finished_at=now_fn())
            uow.publish(_event("reporting.export.failed", job, rows=None))
            await uow.commit()
        return True
    finished = now_fn()
    async with uows() as uow:
        await uow.exports.finish(export_id=job["id"], rows=rows, path=str(path), finished_at=finished,
                                 expires_at=finished + timedelta(days=ttl_days))
        uow.publish(_event("reporting.export.ready", job, rows=rows))
        await uow.commit()
    log.info("export %s: %d rows written to %s", job["id"], rows, path)
    return True


async def _write(job, *, uows: Callable[[], ReportingUnitOfWork], write_export: ExportWriter, path: Path,
                 organisation_name: str, today) -> int:
    """Write the job's file in a thread; its progress is recorded as it goes (and keeps the job claimed)."""
    viewer = Viewer(organisation_id=job["organisation_id"], agent_id=job["agent_id"], is_admin=job["role"] == "admin",
                    service_ids=tuple(job["service_ids"] or ()))
    loop = asyncio.get_running_loop()

    async def _progress(percent: int) -> None:
        async with uows() as uow:  # a transaction of its own: progress updates may overlap
            await uow.exports.set_progress(export_id=job["id"], progress=percent)
            await uow.commit()

    def on_progress(done: int, total: int) -> None:  # called from the writing thread
        percent = min(99, int(done * 100 / max(total, 1)))
        asyncio.run_coroutine_threadsafe(_progress(percent), loop)

    return await asyncio.to_thread(write_export, viewer=viewer, filters=RdvFilters.from_json(job["filters"] or {}),
                                   timezone=job["timezone"], today=today, organisation_name=organisation_name,
                                   path=path, on_progress=on_progress)


def _event(type_: str, job, *, rows: int | None):
    export = events.Export(id=job["id"], agent_id=job["agent_id"], kind=job["kind"], rows=rows,
                           filename=job["filename"])
    return new_event(type_, organisation_id=job["organisation_id"], data=events.ExportData(export=export),
                     actor={"kind": "agent", "id": str(job["agent_id"])})


async def remove_expired(*, uow: ReportingUnitOfWork, now: datetime) -> int:
    """Delete the files of exports past their expiry; the jobs stay listed (as expired) for 14 days."""
    async with uow:
        rows = await uow.exports.expired(now=now)
        for row in rows:
            if row["path"]:
                with contextlib.suppress(FileNotFoundError):
                    Path(row["path"]).unlink()
        if rows:
            await uow.exports.mark_removed(export_ids=[r["id"] for r in rows])
        await uow.commit()
    return len(rows)
