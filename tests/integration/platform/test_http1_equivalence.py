"""`shared.http1` (the hand-written client of calls between services) against httpx, the library it stands
in for: the same requests to a real uvicorn server get the same answers (status, headers, body)."""
from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from rdv.embedded import free_port
from shared.http1 import Pool


async def _answer(request: Request):
    kind = request.path_params["kind"]
    body = await request.body()
    seen = {"method": request.method, "path": request.url.path, "raw_path": request.scope["raw_path"].decode(),
            "query": request.scope["query_string"].decode(), "body": body.decode("utf-8", "replace"),
            "headers": sorted((k, v) for k, v in request.headers.items()
                              if k not in ("host", "user-agent", "accept", "accept-encoding", "connection"))}
    if kind == "stream":
        async def chunks():
            for n in range(50):
                yield (json.dumps(seen) if n == 0 else "," + "é" * n).encode()
        return StreamingResponse(chunks(), media_type="text/plain; charset=utf-8")
    if kind == "empty":
        return Response(status_code=204)
    if kind == "big":
        return Response(b"0123456789" * 300_000, media_type="application/octet-stream")
    if kind == "latin":
        return JSONResponse(seen, headers={"content-disposition": 'attachment; filename="relevé-été.xlsx"',
                                           "x-twice": "un"})
    if kind == "refused":
        return JSONResponse({"error": {"code": "validation_error", "message": "Requête invalide."}}, status_code=422)
    return JSONResponse(seen, status_code=201 if request.method == "POST" else 200)


@pytest.fixture(scope="module")
def server():
    port = free_port()
    app = Starlette(routes=[Route("/{kind}/{rest:path}", _answer, methods=["GET", "POST", "PATCH", "DELETE", "PUT"])])
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


CALLS = [
    ("GET", "/json/v1/rdvs", {"statut": "honore", "q": "Zoé & co"}, None),
    ("POST", "/json/v1/rdvs", None, {"motif_id": "m", "usagers": ["Élodie", "Zoé"], "n": 1}),
    ("PATCH", "/json/v1/rdvs/1", None, {"status": "excused"}),
    ("DELETE", "/empty/v1/rdvs/1", None, None),
    ("PUT", "/json/a b/%C3%A9t%C3%A9", None, {}),
    ("GET", "/stream/export", None, None),
    ("GET", "/big/file", None, None),
    ("GET", "/latin/x", None, None),
    ("POST", "/refused/x", None, {"bad": True}),
]


def _comparable(status: int, headers, body: bytes) -> tuple:
    kept = sorted((k.lower(), v) for k, v in headers.items() if k.lower() not in ("date", "server"))
    return status, kept, body


@pytest.mark.parametrize("method,path,params,payload", CALLS)
async def test_the_same_call_gets_the_same_answer_as_through_httpx(server, method, path, params, payload):
    headers = {"x-request-id": "req-1", "accept-language": "fr", "x-rdv-identity": "signé"}
    body = json.dumps(payload).encode() if payload is not None else None
    if body is not None:
        headers["content-type"] = "application/json"
    async with httpx.AsyncClient(base_url=server) as reference:
        expected = await reference.request(method, path, params=params, content=body,
                                           headers={k: v.encode("latin-1") for k, v in headers.items()})
    pool = Pool(server)
    try:
        target = path + ("?" + str(httpx.QueryParams(params)) if params else "")
        got = await asyncio.wait_for(pool.call(method, target, headers=headers, body=body), 5)
    finally:
        pool.close()
    assert _comparable(got.status, got.headers, got.content) == \
        _comparable(expected.status_code, expected.headers, expected.content)
