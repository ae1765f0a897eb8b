"""The audit log: a middleware records every write through the gateway; admins read it."""
from __future__ import annotations

import logging
import uuid
from datetime import date, datetime

from fastapi import APIRouter, Depends, Query, Request

from gateway.adapters import audit as store
from gateway.api.capture import UNSAFE, Recorder, path_resource_id
from gateway.api.deps import PRINCIPAL_KEY, Paging, admin_principal, get_db
from gateway.domain.model import Principal
from gateway.schemas.common import STANDARD_ERRORS, Page, day_or_instant
from gateway.schemas.directory import AuditEntry
from shared import clock
from shared.errors import ValidationFailed
from shared.timeutil import day_bounds

log = logging.getLogger("rdv.gateway.audit")
ORGANISATION_KEY = "rdv.organisation_id"
router = APIRouter(prefix="/api/v1", tags=["annuaire"], responses=STANDARD_ERRORS)


class AuditWrites:
    """Record who wrote what, when, on which resource, and the result (status)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in UNSAFE or not scope["path"].startswith("/api/v1/"):
            return await self.app(scope, receive, send)
        recorder = Recorder(send, limit=256_000)
        try:
            await self.app(scope, receive, recorder)
        finally:
            try:
                await self._record(scope, recorder)
            except Exception:  # the audit never turns an answered request into an error
                log.exception("audit entry not written")

    async def _record(self, scope, recorder: Recorder) -> None:
        principal: Principal | None = scope.get(PRINCIPAL_KEY)
        body = recorder.json() if 200 <= recorder.status < 300 else None
        resource_id = path_resource_id(scope["path"])
        if resource_id is None and isinstance(body, dict) and body.get("id"):
            resource_id = str(body["id"])
        org_id = principal.organisation.id if principal else scope.get(ORGANISATION_KEY)
        if org_id is None and scope["path"] == "/api/v1/organisations" and resource_id:
            org_id = uuid.UUID(resource_id)
        client = scope.get("client")
        entry = {"organisation_id": org_id, "agent_id": principal.agent.id if principal else None,
                 "at": clock.now(), "method": scope["method"], "path": scope["path"][:500],
                 "resource_id": resource_id, "status": recorder.status or 500,
                 "ip": client[0] if client else None, "replayed": bool(scope.get("rdv.replayed"))}
        scope["app"].state.runtime.audit.add(entry)  # inserted with others a few ms later


def _instant(value: str | None, zone: str, *, end: bool, field: str) -> datetime | None:
    """An instant (ISO 8601 with offset) or a local day (its start, or for `to` its end)."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return day_bounds(date.fromisoformat(value), zone)[1 if end else 0]
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationFailed(details={"fields": {field: "Une date AAAA-MM-JJ ou un instant ISO 8601 avec "
                                                          "décalage est attendu."}})
    return parsed


AuditFrom = day_or_instant(1900, 2200, "day (YYYY-MM-DD) or instant")
AuditTo = day_or_instant(1900, 2200, "day (inclusive) or instant")


@router.get("/audit", response_model=Page[AuditEntry])
async def list_audit(request: Request, paging: Paging = Depends(),
                     resource_id: str | None = Query(None, max_length=100),
                     agent_id: uuid.UUID | None = Query(None),
                     from_: AuditFrom | None = Query(None, alias="from"),
                     to: AuditTo | None = Query(None),
                     principal: Principal = Depends(admin_principal)):
    """The writes made through the gateway in the organisation, newest first (admins)."""
    zone = principal.organisation.timezone
    start = _instant(from_, zone, end=False, field="from")
    end = _instant(to, zone, end=True, field="to")
    await request.app.state.runtime.audit.flush()  # the writes answered so far are in the log
    async with get_db(request).uow() as uow:
        items, total = await store.list_entries(uow=uow, organisation_id=principal.organisation.id,
                                                resource_id=resource_id.lower() if resource_id else None,
                                                agent_id=agent_id, start=start, end=end, page=paging.page,
                                                per_page=paging.per_page)
    return {"items": items, "total": total, "page": paging.page, "per_page": paging.per_page}
