"""Synchronous call from booking: is this slot open?"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.availability.entrypoints.deps import Caller, Identity, database_of
from services.availability.entrypoints.schemas import CheckIn
from services.availability.service_layer import verdicts, views
from shared.identity import caller_of
from shared.web.hot import HotRoute, model_body

router = APIRouter(tags=["interne"])


@router.post("/internal/check")
async def check(body: CheckIn, request: Request, identity: Identity = Caller):
    """Check an RDV's slot against plages, absences and holidays (public: also pick an agent)."""
    # The database from the request rather than `Depends(database)`: one dependency less to solve (hot path).
    found = await verdicts.check(db=database_of(request), identity=identity, agent_ids=body.agent_ids,
                                 lieu_id=body.lieu_id, motif_id=body.motif_id, starts_at=body.starts_at,
                                 duration_minutes=body.duration_minutes, public=body.public,
                                 all_reasons=body.all_reasons)
    common = {"motif": views.motif(found.motif), "lieu": views.lieu(found.lieu) if found.lieu else None,
              "ends_at": views.iso_epoch(found.ends_at, identity.timezone)}
    if body.all_reasons:
        common["reasons"] = [{"code": r.code, "message": r.message, "details": {**r.ref, "agent_id": str(a)}}
                             for a, r in found.reasons]
    # JSONResponse: the body is plain JSON already, FastAPI's encoder would walk it once more (hot path).
    if found.ok:
        return JSONResponse({"ok": True, "agent_ids": [str(a) for a in found.agent_ids], **common})
    reason = found.reason
    assert reason is not None
    details = dict(reason.ref)
    if found.agent_id is not None:
        details["agent_id"] = str(found.agent_id)
    return JSONResponse({"ok": False, "code": reason.code, "message": reason.message, "details": details, **common})


async def check_hot(request: Request) -> Response | None:
    """`check` without FastAPI's per-request machinery (booking calls it for every booking)."""
    parsed = await model_body(request, CheckIn)
    identity = caller_of(request) if parsed is not None else None
    return None if identity is None else await check(parsed, request, identity)


HOT_ROUTES = [HotRoute("POST", "/internal/check", check_hot)]
