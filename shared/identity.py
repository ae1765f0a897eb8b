"""The caller's identity, signed by the gateway and verified by every service.

Header `X-Rdv-Identity: <base64url(json)>.<base64url(hmac-sha256)>`. Services never
trust an unsigned identity, and filter by its organisation themselves.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Literal

from fastapi import Request
from pydantic import BaseModel, Field

from shared.errors import Forbidden, Unauthorized
from shared.settings import internal_secret

HEADER = "X-Rdv-Identity"


class Identity(BaseModel):
    kind: Literal["agent", "public", "system"] = "agent"
    organisation_id: uuid.UUID
    agent_id: uuid.UUID | None = None
    role: Literal["basic", "admin"] | None = None
    service_ids: list[uuid.UUID] = Field(default_factory=list)
    timezone: str = "Europe/Paris"
    holiday_zone: str = "metropole"
    holiday_observances: Literal["statutory", "local"] = "local"
    exp: float = 0.0

    @property
    def is_admin(self) -> bool:
        return self.kind == "agent" and self.role == "admin"

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Cette action est réservée aux administrateurs.")

    def require_agent(self) -> None:
        if self.kind != "agent" or self.agent_id is None:
            raise Unauthorized()

    def actor(self) -> dict:
        if self.kind == "agent":
            return {"kind": "agent", "id": str(self.agent_id)}
        return {"kind": "usager" if self.kind == "public" else "system", "id": None}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Signed tokens by (identity, key, ttl): a caller signs the same identity for each of its calls (the gateway,
# on every request), and a token stays good for its whole ttl. One is reused while more than half of its
# ttl is left, so that a call carrying it still has that long to be verified.
_SIGNED: dict[tuple[str, str, float], tuple[float, str]] = {}
_SIGNED_MAX = 4096


def sign(identity: Identity, *, ttl: float = 60.0, secret: str | None = None) -> str:
    secret = secret or internal_secret()
    key = (identity.model_dump_json(), secret, ttl)
    now = time.time()
    known = _SIGNED.get(key)
    if known is not None and known[0] - now > ttl / 2:
        return known[1]
    exp = now + ttl
    body = _b64(identity.model_copy(update={"exp": exp}).model_dump_json().encode())
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    token = f"{body}.{_b64(mac)}"
    if len(_SIGNED) >= _SIGNED_MAX:  # many callers lately: forget them all now and then
        _SIGNED.clear()
    _SIGNED[key] = (exp, token)
    return token


# Tokens already verified, by (token, secret): the gateway reuses a token for half its ttl (see `sign`), so
# a service sees the same one on each call of the same caller. Only a token whose signature checked out is
# kept, under the secret it checked out with; its expiry is checked again at each use. Nobody mutates an
# Identity, so the same object can answer every call.
_VERIFIED: dict[tuple[str, str], Identity] = {}


def verify(token: str, *, secret: str | None = None) -> Identity:
    secret = secret or internal_secret()
    ident = _VERIFIED.get((token, secret))
    if ident is None:
        try:
            body, mac = token.split(".", 1)
            expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(mac)):
                raise ValueError("bad signature")
            ident = Identity.model_validate(json.loads(_unb64(body)))
        except Exception as exc:
            raise Unauthorized("Identité de l'appelant invalide.") from exc
        if len(_VERIFIED) >= _SIGNED_MAX:  # many callers lately: forget them all now and then
            _VERIFIED.clear()
        _VERIFIED[(token, secret)] = ident
    if ident.exp < time.time():
        raise Unauthorized("Identité de l'appelant expirée.")
    return ident


def headers_for(identity: Identity, *, secret: str | None = None) -> dict[str, str]:
    return {HEADER: sign(identity, secret=secret)}


def caller_of(request: Request) -> Identity | None:
    """The verified caller (Unauthorized when its signature fails); None when the request names none."""
    token = request.headers.get(HEADER)
    return verify(token) if token else None


async def current_identity(request: Request) -> Identity:
    """FastAPI dependency for service routes: the verified caller."""
    identity = caller_of(request)
    if identity is None:
        raise Unauthorized()
    return identity
