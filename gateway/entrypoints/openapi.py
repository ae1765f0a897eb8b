"""The gateway's /openapi.json as clients and tools read it: how each operation authenticates
(securitySchemes), and a 405 that names every method of its path (Allow)."""
from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.entrypoints.auth.credentials import CSRF_HEADER, SESSION_COOKIE
from shared.errors import AppError

SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "Le jeton rendu par POST /api/v1/auth/login (`token`)."},
    "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                "description": "Le cookie de session posé par POST /api/v1/auth/login (navigateur)."},
    "csrf": {"type": "apiKey", "in": "header", "name": CSRF_HEADER,
             "description": "Avec le cookie de session, hors GET : la valeur du cookie rdv_csrf."},
    "platform": {"type": "apiKey", "in": "header", "name": "X-Platform-Key",
                 "description": "La clé de plateforme (RDV_PLATFORM_KEY), pour créer une organisation."},
}
DESCRIPTION = (
    "L'API de rdv, derrière la passerelle. Erreurs : `{\"error\": {code, message, details}}`. "
    "Une requête dont la chaîne de requête ou le corps JSON contient un caractère nul (U+0000) est "
    "refusée (422 `validation_error`), quel que soit le champ.")
_UNSAFE = {"post", "put", "patch", "delete"}
# Operations that need no agent: who may call them instead (an empty list: anyone).
_OPEN = {("post", "/api/v1/auth/login"): [], ("post", "/api/v1/organisations"): [{"platform": []}]}


def security_of(method: str, path: str) -> list[dict[str, list]]:
    """The security requirement of one operation: the bearer token, or the session cookie (with the CSRF
    header when the method writes); public booking and login need nothing."""
    if (method, path) in _OPEN:
        return _OPEN[(method, path)]
    if path.startswith("/api/v1/public/") or not path.startswith("/api/v1/"):
        return []
    cookie = {"session": [], "csrf": []} if method in _UNSAFE else {"session": []}
    return [{"bearer": []}, cookie]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the security schemes and each operation's requirement (built once)."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, openapi_version=app.openapi_version,
                       description=DESCRIPTION, routes=app.routes)
    spec.setdefault("components", {})["securitySchemes"] = SCHEMES
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            operation["security"] = security_of(method, path)
            if (method, path) == ("post", "/api/v1/organisations"):  # the platform scheme says it
                operation["parameters"] = [p for p in operation.get("parameters", [])
                                           if p.get("name", "").lower() != "x-platform-key"]
    app.openapi_schema = spec
    return spec


class MethodNotAllowed(AppError):
    status = 405
    code = "method_not_allowed"
    message = "Méthode non autorisée pour cette adresse."


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """Every method the documented operations of `path` accept."""
    allowed: set[str] = set()
    for template, item in app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
            allowed |= {method.upper() for method in item}
    return allowed


async def method_not_allowed(request: Request, exc) -> JSONResponse:
    """405 naming every method the path accepts (Starlette names only those of the first route matched)."""
    allowed = allowed_methods(request.app, request.url.path)
    header = ", ".join(sorted(allowed)) if allowed else (getattr(exc, "headers", None) or {}).get("Allow", "")
    error = MethodNotAllowed(details={"allowed": sorted(allowed)})
    return JSONResponse(error.body(), status_code=405, headers={"Allow": header})


def install_openapi(app: FastAPI) -> None:
    app.openapi = lambda: build_openapi(app)
    app.add_exception_handler(405, method_not_allowed)
