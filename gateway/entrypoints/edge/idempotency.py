"""`Idempotency-Key` on writes: a repeat with the same key and body returns the first response
and changes nothing; the same key with another body is refused (422); a repeat while the first
is still running gets 409. Keys are per caller (agent, or IP for the public routes) and live 24 h.
The use cases are in gateway.service_layer.idempotency; this middleware parses and answers, and leaves
the answer to keep to the edge of writes (`closing.CloseWrites`), which stores it with the write's other rows.
"""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from gateway.entrypoints.auth.dependencies import authenticate_scope, named_agent_ids
from gateway.entrypoints.edge.asgi import UNSAFE, Recorder, header, read_body, replay_receive
from gateway.entrypoints.request_state import CLOSING_KEY, REPLAYED_KEY
from gateway.service_layer import idempotency
from gateway.service_layer.idempotency import Keyed, StoredAnswer
from shared.errors import AppError, Unauthorized

HEADER = b"idempotency-key"
KEPT_HEADERS = ("content-type", "content-disposition", "location")


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps(AppError(message, code=code, status=status).body()).encode()


async def _send_json(send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), *extra]})
    await send({"type": "http.response.body", "body": body})


async def _caller(scope, body: bytes, keyed: Keyed) -> tuple[str | None, bool]:
    """Whose key space the key lives in (None when the request is not authenticated: the route answers 401),
    and whether the key is already claimed for it. The caller's lookup is the request's one (the route's
    dependency finds it done), and it claims an agent's key in the same statement."""
    path = scope["path"]
    if path.startswith("/api/v1/public/"):
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}", False
    if path == "/api/v1/organisations":
        return "platform", False
    try:
        caller = await authenticate_scope(scope, agent_ids=named_agent_ids(body), claim=keyed)
    except Unauthorized:
        return None, False
    return f"agent:{caller.principal.agent.id}", caller.claimed


def _applies(scope, key: str | None) -> bool:
    return bool(key) and scope["method"] in UNSAFE and scope["path"].startswith("/api/v1/") \
        and not scope["path"].startswith("/api/v1/auth/")


class Idempotency:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        key = header(scope, HEADER) if scope["type"] == "http" else None
        if not _applies(scope, key):
            return await self.app(scope, receive, send)
        if len(key) > 200:
            return await _send_json(send, *_error(422, "invalid_idempotency_key",
                                                  "La clé d'idempotence est trop longue (200 caractères au plus)."))
        body = await read_body(receive)
        receive = replay_receive(body, receive)
        digest = hashlib.sha256(b"\n".join([scope["method"].encode(), scope["path"].encode(),
                                            scope.get("query_string", b""), body])).hexdigest()
        keyed = Keyed(key=key, method=scope["method"], path=scope["path"], body_hash=digest)
        caller, claimed = await _caller(scope, body, keyed)
        if caller is None:
            return await self.app(scope, receive, send)
        write = keyed.by(caller)
        if not claimed:  # the key was there already (a repeat), or the caller needs no session
            runtime = scope["app"].state.runtime
            ttl = timedelta(hours=runtime.settings.idempotency_ttl_hours)
            stored = await idempotency.claim(db=runtime.db, write=write, ttl=ttl)
            if stored is not None:
                return await _answer_repeat(stored, digest, scope, send)
        # The answer is stored before it is sent (the edge of writes holds it: `closing.CloseWrites`), so
        # that a client retrying as soon as it has it gets the replay rather than "in progress".
        recorder = Recorder(send)
        try:
            await self.app(scope, receive, recorder)
        finally:
            scope[CLOSING_KEY].settle(write, _kept(recorder))


def _kept(recorder: Recorder) -> tuple[int, dict, bytes] | None:
    """The answer to keep for the key's repeats. Refusals that did not reach the use case (auth, CSRF,
    throttling, a service down) are not kept: the client may retry them with the same key."""
    if not (recorder.complete and recorder.status and recorder.status < 500
            and recorder.status not in (401, 403, 429)):
        return None
    headers = {k: recorder.header(k.encode()) for k in KEPT_HEADERS if recorder.header(k.encode())}
    return recorder.status, headers, recorder.body


async def _answer_repeat(stored: StoredAnswer, digest: str, scope, send) -> None:
    if stored.body_hash != digest:
        return await _send_json(send, *_error(
            422, "idempotency_key_reused", "Cette clé d'idempotence a déjà servi pour une autre requête."))
    if stored.state != "done":
        return await _send_json(send, *_error(
            409, "idempotency_in_progress", "Une requête avec cette clé d'idempotence est en cours."))
    scope[REPLAYED_KEY] = True
    headers = [(k.encode(), v.encode()) for k, v in (stored.headers or {}).items()]
    await send({"type": "http.response.start", "status": stored.status,
                "headers": headers + [(b"idempotent-replayed", b"true")]})
    await send({"type": "http.response.body", "body": stored.body or b""})
