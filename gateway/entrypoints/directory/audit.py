"""The audit log for admins: the writes made through the gateway in their organisation."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter, Depends, Query, Request

from gateway.domain.model import Principal
from gateway.entrypoints.auth.dependencies import admin_principal
from gateway.entrypoints.common import Paging, get_db
from gateway.schemas.common import STANDARD_ERRORS, Page, day_or_instant
from gateway.schemas.directory import AuditEntry
from gateway.service_layer import audit
from shared.errors import ValidationFailed
from shared.timeutil import day_bounds

router = APIRouter(prefix="/api/v1", tags=["annuaire"], responses=STANDARD_ERRORS)


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
    return await audit.list_entries(
        db=get_db(request), writer=request.app.state.runtime.audit, organisation_id=principal.organisation.id,
        resource_id=resource_id.lower() if resource_id else None, agent_id=agent_id,
        start=_instant(from_, zone, end=False, field="from"), end=_instant(to, zone, end=True, field="to"),
        page=paging.page, per_page=paging.per_page)
