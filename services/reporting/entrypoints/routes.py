"""HTTP routes of the reporting service (`/v1/...`, reached through the gateway's `/api/v1/...`)."""
from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import ValidationError

from services.reporting.domain.scope import Viewer
from services.reporting.entrypoints.schemas import ExportIn, FiltersIn, GroupBy
from services.reporting.service_layer import exports, stats
from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork
from shared import clock
from shared.consistency import applied_as_of
from shared.errors import ValidationFailed
from shared.identity import Identity, current_identity
from shared.web.errors import french_field_errors

router = APIRouter(prefix="/v1")


def _viewer(identity: Identity) -> Viewer:
    identity.require_agent()
    return Viewer(organisation_id=identity.organisation_id, agent_id=identity.agent_id, is_admin=identity.is_admin,
                  service_ids=tuple(identity.service_ids))


def _runtime(request: Request):
    return request.app.state.runtime


def new_uow(request: Request) -> ReportingUnitOfWork:
    return _runtime(request).db.uow()


@router.get("/stats")
async def get_stats(request: Request, identity: Identity = Depends(current_identity),
                    uow: ReportingUnitOfWork = Depends(new_uow),
                    from_: date | None = Query(default=None, alias="from"), to: date | None = None,
                    service_id: uuid.UUID | None = None, agent_id: uuid.UUID | None = None,
                    motif_id: uuid.UUID | None = None, lieu_id: uuid.UUID | None = None,
                    usager_id: uuid.UUID | None = None, status: str | None = None,
                    group_by: GroupBy = "status"):
    """Count the RDVs I can see, by status and by one dimension."""
    viewer = _viewer(identity)
    try:
        filters = FiltersIn.model_validate({"from": from_, "to": to, "service_id": service_id, "agent_id": agent_id,
                                            "motif_id": motif_id, "lieu_id": lieu_id, "usager_id": usager_id,
                                            "status": status})
    except ValidationError as exc:
        raise ValidationFailed(details={"fields": french_field_errors(exc.errors())}) from exc
    runtime, now = _runtime(request), clock.now()
    as_of = await applied_as_of(runtime.js, runtime.runners, now)  # read before the query it dates
    return await stats.compute_stats(uow=uow, viewer=viewer, filters=filters.to_domain(),
                                     timezone=identity.timezone, group_by=group_by, now=now, as_of=as_of)


@router.post("/exports", status_code=202)
async def post_export(body: ExportIn, request: Request, identity: Identity = Depends(current_identity),
                      uow: ReportingUnitOfWork = Depends(new_uow)):
    """Ask for an XLSX export of the RDVs I can see among the filters; it is written in the background."""
    runtime = _runtime(request)
    export = await exports.request_export(uow=uow, viewer=_viewer(identity), filters=body.filters.to_domain(),
                                          timezone=identity.timezone, now=clock.now())
    wake = getattr(runtime, "export_wakeup", None)
    if wake is not None:
        wake.set()
    return export


@router.get("/exports")
async def list_exports(request: Request, identity: Identity = Depends(current_identity),
                       uow: ReportingUnitOfWork = Depends(new_uow),
                       page: int = Query(default=1, ge=1), per_page: int = Query(default=50, ge=1, le=200)):
    """List my exports of the last 14 days, newest first."""
    runtime = _runtime(request)
    return await exports.list_exports(uow=uow, viewer=_viewer(identity), timezone=identity.timezone,
                                      now=clock.now(), days=runtime.settings.export_list_days,
                                      page=page, per_page=per_page)


@router.get("/exports/{export_id}")
async def get_export(export_id: uuid.UUID, identity: Identity = Depends(current_identity),
                     uow: ReportingUnitOfWork = Depends(new_uow)):
    """Show one of my exports (status, progress)."""
    return await exports.get_export(uow=uow, viewer=_viewer(identity), export_id=export_id,
                                    timezone=identity.timezone)


@router.get("/exports/{export_id}/file")
async def download_export(export_id: uuid.UUID, identity: Identity = Depends(current_identity),
                          uow: ReportingUnitOfWork = Depends(new_uow)):
    """Download the XLSX file of one of my finished exports."""
    path, filename = await exports.export_file(uow=uow, viewer=_viewer(identity),
                                               export_id=export_id, now=clock.now())
    return FileResponse(path, media_type=exports.XLSX_MEDIA_TYPE, filename=filename)
