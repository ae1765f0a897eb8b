"""The dev inbox (dev/test only): every SMS and email the system produced, newest first."""
from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway.entrypoints.proxy.forward import call, relay
from gateway.schemas.booking import DevMessage
from gateway.schemas.common import errors
from shared.errors import NotFound
from shared.identity import Identity

router = APIRouter(tags=["dev"])
_GATEWAY = Path(__file__).resolve().parents[2]
# Its own template, and the web UI's shell for the DSFR footer every page carries.
_templates = Environment(loader=FileSystemLoader([_GATEWAY / "templates", _GATEWAY / "web" / "templates"]),
                         autoescape=select_autoescape(["html"]))
SYSTEM = Identity(kind="system", organisation_id=uuid.UUID(int=0))


def prefers_html(accept: str) -> bool:
    """True when the Accept header ranks text/html above application/json."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        weights[media.lower()] = max(q, weights.get(media.lower(), 0.0))
    html = weights.get("text/html", 0.0)
    json = weights.get("application/json", weights.get("*/*", 0.0) if "text/html" not in weights else 0.0)
    return html > 0 and html >= json


@router.get("/dev/messages", response_model=list[DevMessage], responses=errors(404, 503))
async def dev_messages(request: Request):
    """Every SMS and email produced (dev inbox); HTML when the browser asks for it. 404 in production."""
    if request.app.state.runtime.settings.env == "production":
        raise NotFound()
    resp = await call(request, "notifications", "GET", "/v1/dev/messages", identity=SYSTEM,
                      params=list(request.query_params.multi_items()))
    if resp.status_code != 200 or not prefers_html(request.headers.get("accept", "")):
        return relay(resp)
    page = _templates.get_template("dev_messages.html").render(messages=resp.json())
    return HTMLResponse(page)
