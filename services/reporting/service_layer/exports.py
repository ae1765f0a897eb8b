"""Export use cases: ask for an export, list mine, download it; the worker's job and the cleanup."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from services.reporting.adapters import exports_repo
from services.reporting.adapters.xlsx_export import write_rdv_export
from services.reporting.domain.export_file import export_filename
from services.reporting.domain.scope import RdvFilters, Viewer
from shared.errors import AppError, Conflict, NotFound
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
            "filters": row["filters"], "expired": bool(row["file_removed"]), "error": "L'export a échoué." if row["status"] == "failed" else None,
            "created_at": iso(row["created_at"], timezone),
            "expires_at": iso(row["expires_at"], timezone) if row["expires_at"] else None}


async def request_export(*, db, viewer: Viewer, filters: RdvFilters, timezone: str, now: datetime) -> dict:
    """Record a pending export job of the RDVs the requester can see; the worker writes it."""
    async with db.uow() as uow:
        org = await exports_repo.organisation(uow.session, viewer.organisation_id)
        filename = export_filename(day=local_day(now, timezone), organisation_slug=org["slug"] if org else None,
                                   organisation_name=org["name"] if org else None)
        export_id = uuid.uuid4()
        await exports_repo.insert(uow.session, {
            "id": export_id, "organisation_id": viewer.organisation_id, "agent_id": viewer.agent_id,
            "kind": "rdvs", "filters": json.dumps(filters.to_json()),
            "role": "admin" if viewer.is_admin else "basic", "service_ids": list(viewer.service_ids),
            "timezone": timezone, "filename": filename, "created_at": now})
        # Read before committing: once committed, the worker may already have taken the job, and the
        # answer to the request is the job as it was asked for (contract: 202 `{id, status: pending}`).
        row = await exports_repo.get(uow.session, organisation_id=viewer.organisation_id, export_id=export_id)
        await uow.commit()
    return present(row, timezone)


async def list_exports(*, db, viewer: Viewer, timezone: str, now: datetime, days: int, page: int,
                       per_page: int) -> dict:
    """The requester's exports of the last `days` days, newest first."""
    async with db.uow() as uow:
        rows, total = await exports_repo.list_for(uow.session, organisation_id=viewer.organisation_id,
                                                  agent_id=viewer.agent_id, since=now - timedelta(days=days),
                                                  limit=per_page, offset=(page - 1) * per_page)
    return {"items": [present(r, timezone) for r in rows], "total": total, "page": page, "per_page": per_page}


async def _owned(db, viewer: Viewer, export_id: uuid.UUID):
    async with db.uow() as uow:
        row = await exports_repo.get(uow.session, organisation_id=viewer.organisation_id, export_id=export_id)
    if row is None or row["agent_id"] != viewer.agent_id:
        raise NotFound("Export introuvable.")  # someone else's export does not exist for you
    return row


async def get_export(*, db, viewer: Viewer, export_id: uuid.UUID, timezone: str) -> dict:
    return present(await _owned(db, viewer, export_id), timezone)


async def export_file(*, db, viewer: Viewer, export_id: uuid.UUID, now: datetime) -> tuple[Path, str]:
    """The file of a finished export of the requester: (path, filename)."""
    row = await _owned(db, viewer, export_id)
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

async def run_next_job(*, db, dsn: str, exports_dir: Path, now_fn, ttl_days: int, stale_seconds: float) -> bool:
    """Claim one pending job and write its file; return False when there was none."""
    async with db.uow() as uow:
        job = await exports_repo.claim_next(uow.session, stale_seconds=stale_seconds)
        await uow.commit()
        if job is None:
            return False
        org = await exports_repo.organisation(uow.session, job["organisation_id"])
    viewer = Viewer(organisation_id=job["organisation_id"], agent_id=job["agent_id"], is_admin=job["role"] == "admin",
                    service_ids=tuple(job["service_ids"] or ()))
    filters = RdvFilters.from_json(job["filters"] or {})
    timezone = job["timezone"]
    path = exports_dir / f"{job['id']}.xlsx"
    loop = asyncio.get_running_loop()

    async def _progress(percent: int) -> None:
        async with db.uow() as puow:
            await exports_repo.set_progress(puow.session, export_id=job["id"], progress=percent)
            await puow.commit()

    def on_progress(done: int, total: int) -> None:  # called from the writing thread
        percent = min(99, int(done * 100 / max(total, 1)))
        asyncio.run_coroutine_threadsafe(_progress(percent), loop)

    try:
        rows = await asyncio.to_thread(
            write_rdv_export, dsn=dsn, viewer=viewer, filters=filters, timezone=timezone,
            today=local_day(now_fn(), timezone), organisation_name=(org["name"] if org else ""),
            path=path, on_progress=on_progress)
    except Exception as exc:
        log.exception("export %s failed", job["id"])
        with contextlib.suppress(FileNotFoundError):
            path.with_suffix(".part").unlink()
        async with db.uow() as uow:
            await exports_repo.fail(uow.session, export_id=job["id"], error=repr(exc), finished_at=now_fn())
            uow.publish(_event("reporting.export.failed", job, rows=None))
            await uow.commit()
        return True
    finished = now_fn()
    async with db.uow() as uow:
        await exports_repo.finish(uow.session, export_id=job["id"], rows=rows, path=str(path), finished_at=finished,
                                  expires_at=finished + timedelta(days=ttl_days))
        uow.publish(_event("reporting.export.ready", job, rows=rows))
        await uow.commit()
    log.info("export %s: %d rows written to %s", job["id"], rows, path)
    return True


def _event(type_: str, job, *, rows: int | None):
    return new_event(type_, organisation_id=job["organisation_id"],
                     data={"export": {"id": str(job["id"]), "agent_id": str(job["agent_id"]), "kind": job["kind"],
                                      "rows": rows, "filename": job["filename"]}},
                     actor={"kind": "agent", "id": str(job["agent_id"])})


async def remove_expired(*, db, now: datetime) -> int:
    """Delete the files of exports past their expiry; the jobs stay listed (as expired) for 14 days."""
    async with db.uow() as uow:
        rows = await exports_repo.expired(uow.session, now=now)
        for row in rows:
            if row["path"]:
                with contextlib.suppress(FileNotFoundError):
                    Path(row["path"]).unlink()
        if rows:
            await exports_repo.mark_removed(uow.session, export_ids=[r["id"] for r in rows])
        await uow.commit()
    return len(rows)
