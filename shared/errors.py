"""Errors with a stable code, and the one mapping to the contract's error body.

`{"error": {"code": "<stable_snake_case>", "message": "<French sentence>", "details": {...}}}`
Routes raise `AppError` (or a subclass); they never build error JSON by hand.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("rdv.errors")


class AppError(Exception):
    status = 400
    code = "bad_request"
    message = "Requête invalide."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 status: int | None = None, details: dict[str, Any] | None = None):
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationFailed(AppError):
    status = 422
    code = "validation_error"
    message = "Les données envoyées ne sont pas valides."


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    message = "Authentification requise."


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    message = "Vous n'avez pas les droits pour cette action."


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "Ressource introuvable."


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "Conflit avec l'état actuel."


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    message = "Un service est momentanément indisponible. Réessayez dans un instant."


_FIELD_MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "string_type": "Une chaîne de caractères est attendue.",
    "int_parsing": "Un nombre entier est attendu.",
    "int_type": "Un nombre entier est attendu.",
    "bool_parsing": "Un booléen (true/false) est attendu.",
    "bool_type": "Un booléen (true/false) est attendu.",
    "uuid_parsing": "Un identifiant (UUID) est attendu.",
    "uuid_type": "Un identifiant (UUID) est attendu.",
    "date_from_datetime_parsing": "Une date AAAA-MM-JJ est attendue.",
    "date_parsing": "Une date AAAA-MM-JJ est attendue.",
    "date_type": "Une date AAAA-MM-JJ est attendue.",
    "datetime_parsing": "Un instant ISO 8601 avec décalage est attendu.",
    "datetime_from_date_parsing": "Un instant ISO 8601 avec décalage est attendu.",
    "datetime_type": "Un instant ISO 8601 avec décalage est attendu.",
    "timezone_aware": "L'instant doit porter un décalage horaire.",
    "time_parsing": "Une heure HH:MM est attendue.",
    "time_type": "Une heure HH:MM est attendue.",
    "literal_error": "Valeur non autorisée.",
    "enum": "Valeur non autorisée.",
    "greater_than_equal": "Valeur trop petite.",
    "less_than_equal": "Valeur trop grande.",
    "greater_than": "Valeur trop petite.",
    "less_than": "Valeur trop grande.",
    "string_too_short": "Texte trop court.",
    "string_too_long": "Texte trop long.",
    "too_short": "Liste trop courte.",
    "too_long": "Liste trop longue.",
    "list_type": "Une liste est attendue.",
    "dict_type": "Un objet est attendu.",
    "model_type": "Un objet est attendu.",
    "json_invalid": "Le corps de la requête n'est pas un JSON valide.",
    "extra_forbidden": "Champ inconnu.",
    "value_error": "Valeur invalide.",
    "float_parsing": "Un nombre est attendu.",
    "string_pattern_mismatch": "Format invalide.",
}


def french_field_errors(errors: list[dict[str, Any]]) -> dict[str, str]:
    """Map pydantic errors to {"field.path": "message en français"}."""
    fields: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        key = ".".join(loc) or "body"
        kind = err.get("type", "value_error")
        message = _FIELD_MESSAGES.get(kind, "Valeur invalide.")
        if kind == "value_error":
            ctx_error = (err.get("ctx") or {}).get("error")
            if ctx_error and str(ctx_error):
                message = str(ctx_error)
        fields.setdefault(key, message)
    return fields


def install_error_handlers(app: FastAPI) -> None:
    """Map every error, including unexpected ones, to the contract's error body."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        err = ValidationFailed(details={"fields": french_field_errors(list(exc.errors()))})
        return JSONResponse(err.body(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        codes = {401: ("unauthorized", "Authentification requise."),
                 403: ("forbidden", "Accès refusé."),
                 404: ("not_found", "Ressource introuvable."),
                 405: ("method_not_allowed", "Méthode non autorisée pour cette adresse."),
                 413: ("payload_too_large", "Requête trop volumineuse."),
                 415: ("unsupported_media_type", "Type de contenu non pris en charge."),
                 429: ("too_many_requests", "Trop de requêtes, réessayez plus tard.")}
        code, message = codes.get(exc.status_code, ("http_error", "Requête refusée."))
        return JSONResponse(AppError(message, code=code, status=exc.status_code).body(),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception):
        log.exception("unexpected error", exc_info=exc)
        err = AppError("Erreur interne inattendue.", code="internal_error", status=500)
        return JSONResponse(err.body(), status_code=500)
