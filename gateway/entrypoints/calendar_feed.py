"""The agent's calendar feed: its secret URL (« Mon compte ») and the feed itself (no auth but the token)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from gateway.domain.model import Principal
from gateway.entrypoints.auth.dependencies import current_principal
from gateway.entrypoints.common import get_db
from gateway.entrypoints.proxy.forward import call
from gateway.schemas.calendar import CalendarFeedOut, CalendarFeedPatch
from gateway.schemas.common import STANDARD_ERRORS, errors
from gateway.service_layer import calendar_feed

router = APIRouter(prefix="/api/v1", tags=["agenda"], responses=STANDARD_ERRORS)
feed_router = APIRouter(tags=["agenda"])


def _out(request: Request, token: str, hide: bool) -> dict:
    url = str(request.base_url).rstrip("/") + f"/ics/{token}.ics"
    return {"url": url, "webcal_url": "webcal://" + url.split("://", 1)[1], "hide_usager_names": hide}


@router.get("/me/calendar-feed", response_model=CalendarFeedOut)
async def get_calendar_feed(request: Request, principal: Principal = Depends(current_principal)):
    """The caller's secret iCalendar URL (created on the first call)."""
    token, hide = await calendar_feed.current(get_db(request), principal.agent.id)
    return _out(request, token, hide)


@router.patch("/me/calendar-feed", response_model=CalendarFeedOut)
async def patch_calendar_feed(body: CalendarFeedPatch, request: Request,
                              principal: Principal = Depends(current_principal)):
    """Show or hide the usagers' names in the feed (the URL stays)."""
    token, hide = await calendar_feed.current(get_db(request), principal.agent.id,
                                              hide_usager_names=body.hide_usager_names)
    return _out(request, token, hide)


@router.post("/me/calendar-feed/rotate", response_model=CalendarFeedOut)
async def rotate_calendar_feed(request: Request, principal: Principal = Depends(current_principal)):
    """A new secret URL; the previous one answers 404 at once."""
    token, hide = await calendar_feed.current(get_db(request), principal.agent.id, rotate=True)
    return _out(request, token, hide)


@feed_router.get("/ics/{token}.ics", response_class=Response, responses={
    200: {"content": {"text/calendar": {}}, "description": "the agent's RDVs, past month and next six months"},
    304: {"description": "unchanged since the ETag sent in If-None-Match"}, **errors(404, 503)})
async def calendar_feed_ics(token: str, request: Request):
    """An agent's RDVs as iCalendar (the secret token is the only credential)."""
    async def fetch(service: str, path: str, identity, params: dict):
        return await call(request, service, "GET", path, identity=identity, params=params)

    result = await calendar_feed.feed(db=get_db(request), token=token, fetch=fetch)
    headers = {"ETag": result.etag, "Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex"}
    sent = [tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")]
    if result.etag in sent or "*" in sent:
        return Response(status_code=304, headers=headers)
    return Response(result.body, media_type="text/calendar; charset=utf-8", headers={
        **headers, "Content-Disposition": 'inline; filename="rdv.ics"'})
