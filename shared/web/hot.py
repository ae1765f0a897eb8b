"""Hot routes: the calls every booking makes to a service, answered without FastAPI's per-request machinery.

A hot route stands in for one route of the app (same method and path) and calls the route's own
function. Its handler (given the request, its body read) only computes that function's arguments the way FastAPI would (the body through
the route's model, the caller's identity, a header) and returns None when anything is off (a body the
model refuses, no identity, not JSON): the request then goes to the route itself, whose validation
answers exactly as it always does. The dispatcher sits inside the tracing and consistency middlewares,
so a hot call is traced, timed and answered with its events' position like any other; an error the
route function raises is mapped by the app's own exception handlers, as Starlette's would be.

Everything FastAPI does per request around a route (matching every route in turn, the exit stack, the
dependency graph, the parameter models) costs more CPU than checking a booking's slot does: on the
three requests of the booking path (the gateway's, booking's, availability's check) it is skipped,
everywhere else it stays.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Awaitable[Response | None]]
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class HotRoute:
    method: str
    path: str  # also the route's name in metrics and spans, as the routed path would be
    handler: Handler


async def model_body(request: Request, model: type[Model]) -> Model | None:
    """The body as the route's model, as FastAPI validates it (the request's parsed JSON, kept for a
    dependency that reads it too, through the model); None when it is not JSON by its Content-Type or the
    model refuses it (the route will say why)."""
    kind = request.headers.get("content-type", "")
    if kind != "application/json" and not kind.startswith("application/json;"):
        return None
    try:
        return model.model_validate(await request.json())
    except ValueError:  # not JSON, or pydantic's ValidationError
        return None


class HotRoutes:
    """ASGI middleware: answers the hot routes' requests, passes every other one on."""

    def __init__(self, app, routes: list[HotRoute]):
        self.app = app
        self.routes = {(route.method, route.path): route for route in routes}

    async def __call__(self, scope, receive, send):
        route = self.routes.get((scope.get("method"), scope.get("path"))) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        scope["route"] = route
        request = Request(scope, _replaying(body, more, receive))
        try:
            response = await route.handler(request)
        except Exception as exc:
            handle = _exception_handler(scope, exc)
            if handle is None:
                raise  # a 500, as from the route (ServerErrorMiddleware)
            response = await handle(request, exc)
        if response is None:
            await self.app(scope, _replaying(body, more, receive), send)
            return
        await response(scope, receive, send)


async def _read_body(receive) -> tuple[bytes, list[dict]]:
    """The whole body; and the messages after it (a disconnect read on the way), given back on replay."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), [message]
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks), []


def _replaying(body: bytes, after: list[dict], receive):
    """A `receive` that gives the body read already, then what came after it, then the connection's own."""
    pending = [{"type": "http.request", "body": body, "more_body": False}, *after]

    async def replay():
        return pending.pop(0) if pending else await receive()
    return replay


def _exception_handler(scope, exc: Exception):
    """The app's handler of this error class (or of a parent class), as Starlette's ExceptionMiddleware finds it.
    `Exception` itself is not looked at: the unexpected error goes up to ServerErrorMiddleware, which answers
    with its handler and logs it, as for any route."""
    handlers = getattr(scope.get("app"), "exception_handlers", {}) or {}
    for kind in type(exc).__mro__:
        if kind is Exception:
            return None
        if kind in handlers:
            return handlers[kind]
    return None
