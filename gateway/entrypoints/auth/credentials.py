"""The caller's credentials as a request carries them: the only reader of the bearer token and of the
session cookie (the API's authentication, the idempotency middleware and the web pages all ask here)."""
from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import cookie_parser

SESSION_COOKIE = "rdv_session"
CSRF_COOKIE = "rdv_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Credentials:
    token: str
    via_cookie: bool  # a browser's session: its writes need the CSRF token too


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def bearer_token(scope) -> str | None:
    """The token of `Authorization: Bearer <token>`, if any."""
    scheme, _, value = (_header(scope, b"authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def session_cookie(scope) -> str | None:
    """The session cookie's value ("" when sent empty), None without one."""
    cookie = _header(scope, b"cookie")
    return cookie_parser(cookie).get(SESSION_COOKIE) if cookie else None


def credentials(scope) -> Credentials | None:
    """The bearer token, else the session cookie; None when the request carries neither."""
    token = bearer_token(scope)
    if token is not None:
        return Credentials(token, via_cookie=False)
    cookie = session_cookie(scope)
    return Credentials(cookie, via_cookie=True) if cookie else None
