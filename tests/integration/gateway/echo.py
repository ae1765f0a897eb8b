"""A stand-in service over real HTTP: answers every call with what it received (tests only)."""
from __future__ import annotations

import asyncio
import threading
import time

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rdv.embedded import free_port


async def _echo(request: Request):
    if request.url.path == "/slow":
        await asyncio.sleep(float(request.query_params.get("s", "2")))
    if request.url.path.endswith("/dev/messages"):
        return JSONResponse([{"channel": "sms", "to": "+33600000000", "subject": None, "body": "Votre RDV <b>",
                              "attachments": [], "rdv_id": None, "kind": "confirmation",
                              "created_at": "2027-03-01T08:00:00+01:00"}])
    if request.query_params.get("boom"):
        return JSONResponse({"error": {"code": "boom", "message": "Panne.", "details": {}}}, status_code=500)
    if request.url.path.endswith("/file"):
        return Response(b"PK\x03\x04" + b"x" * 200_000, media_type="application/octet-stream",
                        headers={"content-disposition": 'attachment; filename="export.xlsx"'})
    body = await request.body()
    if body and b'"sleep"' in body:
        await asyncio.sleep(1.0)
    return JSONResponse({"port": request.url.port, "method": request.method, "path": request.url.path,
                         "query": list(request.query_params.multi_items()),
                         "headers": {k: v for k, v in request.headers.items()},
                         "json": (await request.json()) if body else None,
                         "id": "00000000-0000-0000-0000-00000000e000"},
                        status_code=201 if request.method == "POST" else 200)


class EchoServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = Starlette(routes=[Route("/{path:path}", _echo, methods=["GET", "POST", "PATCH", "DELETE", "PUT"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "EchoServer":
        self.thread.start()
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                httpx.get(self.url + "/ping", timeout=0.5)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("echo server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"
