"""Who the request's session is, asked to the gateway itself in process (decoupled from its internals)."""
from __future__ import annotations

import httpx
from fastapi import Request


async def gateway_get(request: Request, path: str) -> httpx.Response:
    """GET a gateway route in process with the request's credentials (cookie or bearer)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() in ("cookie", "authorization")}
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.internal", timeout=5) as client:
        return await client.get(path, headers=headers)


async def current_agent(request: Request) -> dict | None:
    """The agent of the session (GET /api/v1/me), or None when not logged in."""
    resp = await gateway_get(request, "/api/v1/me")
    return resp.json() if resp.status_code == 200 else None


def organisation_id(agent: dict) -> str | None:
    org = agent.get("organisation")
    return (org.get("id") if isinstance(org, dict) else None) or agent.get("organisation_id")
