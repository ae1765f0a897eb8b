"""The hot-route dispatcher (shared.web.hot) on a real FastAPI app, in process: who answers, and that a
call handed back to the route gets its body whole and the route's own answer."""
from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shared.errors import Conflict
from shared.identity import Identity, caller_of, current_identity, headers_for
from shared.web.errors import install_error_handlers
from shared.web.hot import HotRoute, HotRoutes, model_body

CALLER = Identity(organisation_id=uuid.uuid4(), agent_id=uuid.uuid4(), role="basic", service_ids=[],
                  timezone="Europe/Paris", holiday_zone="metropole")


class Thing(BaseModel):
    name: str = Field(min_length=1)
    n: int = 0


def _app(seen: list) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things", status_code=201)
    async def make(body: Thing, request: Request, identity: Identity = Depends(current_identity)):
        seen.append("route")
        if body.name == "taken":
            raise Conflict("Déjà pris.", code="taken")
        if body.name == "boom":
            raise RuntimeError("boom")
        return JSONResponse({"name": body.name, "n": body.n, "by": str(identity.agent_id)}, status_code=201)

    async def make_hot(request: Request):
        seen.append("hot")
        thing = await model_body(request, Thing)
        identity = caller_of(request) if thing is not None else None
        return None if identity is None else await make(thing, request, identity)

    app.add_middleware(HotRoutes, routes=[HotRoute("POST", "/things", make_hot)])
    return app


async def _post(app, *, json=None, content=None, headers=None):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/things", json=json, content=content, headers=headers)


async def test_a_good_call_is_answered_by_the_hot_route_with_the_route_function():
    seen: list = []
    resp = await _post(_app(seen), json={"name": "a", "n": 2}, headers=headers_for(CALLER))
    assert (resp.status_code, resp.json()) == (201, {"name": "a", "n": 2, "by": str(CALLER.agent_id)})
    assert seen == ["hot", "route"]  # the route function, called by the hot handler (not routed)


@pytest.mark.parametrize("json,content,headers", [
    ({"name": ""}, None, "caller"),  # the model refuses it
    (None, b"name=a", "caller"),  # not JSON
    ({"name": "a"}, None, None),  # no identity
])
async def test_what_the_hot_handler_gives_back_is_answered_by_the_route_as_without_it(json, content, headers):
    seen: list = []
    headers = headers_for(CALLER) if headers == "caller" else {}
    if content is not None:
        headers["content-type"] = "application/x-www-form-urlencoded"
    hot = await _post(_app(seen), json=json, content=content, headers=headers)
    plain_app = _app([])
    plain_app.user_middleware.clear()
    plain = await _post(plain_app, json=json, content=content, headers=headers)
    assert (hot.status_code, hot.json()) == (plain.status_code, plain.json())
    assert hot.status_code in (401, 422) and seen[0] == "hot"


async def test_errors_of_the_route_function_are_mapped_by_the_app_handlers():
    seen: list = []
    taken = await _post(_app(seen), json={"name": "taken"}, headers=headers_for(CALLER))
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "taken"
    forged = await _post(_app(seen), json={"name": "a"}, headers={"X-Rdv-Identity": "forged.token"})
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "unauthorized"
    boom = await _post(_app(seen), json={"name": "boom"}, headers=headers_for(CALLER))
    assert boom.status_code == 500 and boom.json()["error"]["code"] == "internal_error"


@pytest.mark.parametrize("module", ["gateway.app", "services.booking.entrypoints.app",
                                    "services.availability.entrypoints.app"])
def test_each_service_hot_route_stands_in_for_one_of_its_routes(module):
    import importlib

    app = importlib.import_module(module).app
    installed = [m for m in app.user_middleware if m.cls is HotRoutes]
    assert len(installed) == 1 and app.user_middleware[-1].cls is HotRoutes  # innermost of ours
    routes = {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    hot = installed[0].kwargs["routes"]
    assert hot and all((r.method, r.path) in routes for r in hot)
