"""`Idempotency-Key` on writes: a repeat with the same key and body returns the first response
and changes nothing; the same key with another body is refused (422); a repeat while the first
is still running gets 409. Keys are per caller (agent, or IP for the public routes) and live 24 h.
"""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from gateway.adapters import idempotency as store
from gateway.adapters import sessions
from gateway.api.capture import UNSAFE, Recorder, header, read_body, replay_receive
from gateway.domain.tokens import hash_token
from shared import clock
from shared.errors import AppError

HEADER = b"idempotency-key"
# A live request ends within the service timeout (15 s): an older "in progress" key was
# left by a gateway that died mid-request, and its retry may take it over.
ABANDONED_AFTER = timedelta(seconds=30)
KEPT_HEADERS = ("content-type", "content-disposition", "location")


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps(AppError(message, code=code, status=status).body()).encode()


async def _send_json(send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), *extra]})
    await send({"type": "http.response.body", "body": body})


class Idempotency:
    def __init__(self, app):
        self.app = app

    async def _caller(self, scope, db) -> str | None:
        path = scope["path"]
        if path.startswith("/api/v1/public/"):
            client = scope.get("client")
            return f"ip:{client[0] if client else 'unknown'}"
        if path == "/api/v1/organisations":
            return "platform"
        auth = header(scope, b"authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if not token:
            cookie = header(scope, b"cookie") or ""
            token = next((p.split("=", 1)[1] for p in (c.strip() for c in cookie.split(";"))
                          if p.startswith("rdv_session=")), None)
        if not token:
            return None
        async with db.statements() as st:
            row = await sessions.find_session(uow=st, token_hash=hash_token(token))
        return f"agent:{row.agent_id}" if row else None

    async def __call__(self, scope, receive, send):
        key = header(scope, HEADER) if scope["type"] == "http" else None
        if (not key or scope["method"] not in UNSAFE or not scope["path"].startswith("/api/v1/")
                or scope["path"].startswith("/api/v1/auth/")):
            return await self.app(scope, receive, send)
        if len(key) > 200:
            return await _send_json(send, *_error(422, "invalid_idempotency_key",
                                                  "La clé d'idempotence est trop longue (200 caractères au plus)."))
        db = scope["app"].state.runtime.db
        caller = await self._caller(scope, db)
        if caller is None:  # not authenticated: the route answers 401
            return await self.app(scope, receive, send)
        body = await read_body(receive)
        digest = hashlib.sha256(b"\n".join([scope["method"].encode(), scope["path"].encode(),
                                            scope.get("query_string", b""), body])).hexdigest()
        now = clock.now()
        ttl = timedelta(hours=scope["app"].state.runtime.settings.idempotency_ttl_hours)
        async with db.uow() as uow:
            fresh = await store.claim(uow=uow, scope=caller, key=key, method=scope["method"], path=scope["path"],
                                      body_hash=digest, now=now)
            if not fresh:
                row = await store.get(uow=uow, scope=caller, key=key, lock=True)
                expired = row.created_at < now - ttl or (row.state == "in_progress"
                                                         and row.created_at < now - ABANDONED_AFTER)
                if not expired:
                    await uow.commit()
                    return await self._answer_repeat(row, digest, scope, send)
                await store.restart(uow=uow, scope=caller, key=key, method=scope["method"], path=scope["path"],
                                    body_hash=digest, now=now)
            await uow.commit()
        # The answer is stored before it is sent, so that a client retrying as soon as it has it
        # gets the replay rather than "in progress".
        recorder = Recorder(send, hold=True)
        try:
            await self.app(scope, replay_receive(body, receive), recorder)
        finally:
            await self._store(db, caller, key, recorder)
        await recorder.flush()

    async def _answer_repeat(self, row, digest: str, scope, send) -> None:
        if row.body_hash != digest:
            return await _send_json(send, *_error(
                422, "idempotency_key_reused", "Cette clé d'idempotence a déjà servi pour une autre requête."))
        if row.state != "done":
            return await _send_json(send, *_error(
                409, "idempotency_in_progress", "Une requête avec cette clé d'idempotence est en cours."))
        scope["rdv.replayed"] = True
        headers = [(k.encode(), v.encode()) for k, v in (row.response_headers or {}).items()]
        await send({"type": "http.response.start", "status": row.response_status,
                    "headers": headers + [(b"idempotent-replayed", b"true")]})
        await send({"type": "http.response.body", "body": row.response_body or b""})

    async def _store(self, db, caller: str, key: str, recorder: Recorder) -> None:
        # Refusals that did not reach the use case (auth, CSRF, throttling, a service down) are not
        # remembered: the client may retry them with the same key.
        keep = recorder.complete and recorder.status and recorder.status < 500 \
            and recorder.status not in (401, 403, 429)
        async with db.uow() as uow:
            if keep:
                headers = {k: recorder.header(k.encode()) for k in KEPT_HEADERS if recorder.header(k.encode())}
                await store.finish(uow=uow, scope=caller, key=key, status=recorder.status, body=recorder.body,
                                   headers=headers)
            else:
                await store.release(uow=uow, scope=caller, key=key)
            await uow.commit()
