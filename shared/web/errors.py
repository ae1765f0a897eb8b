"""The web edge of the error tree: every error a FastAPI app meets becomes the contract's body.

Domain code raises `shared.errors` classes; this module alone knows FastAPI, and is installed
on every app by `ServiceRuntime.create_app`.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import AppError, ValidationFailed

log = logging.getLogger("rdv.errors")

_FIELD_MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "string_type": "Saisissez un texte.",
    "int_parsing": "Indiquez un nombre entier.",
    "int_type": "Indiquez un nombre entier.",
    "int_from_float": "Indiquez un nombre entier.",
    "bool_parsing": "Indiquez oui ou non.",
    "bool_type": "Indiquez oui ou non.",
    "uuid_parsing": "Choisissez un élément de la liste.",
    "uuid_type": "Choisissez un élément de la liste.",
    "date_from_datetime_parsing": "Indiquez une date valide (jour, mois, année).",
    "date_from_datetime_inexact": "Indiquez une date valide (jour, mois, année).",
    "date_parsing": "Indiquez une date valide (jour, mois, année).",
    "date_type": "Indiquez une date valide (jour, mois, année).",
    "datetime_parsing": "Indiquez une date et une heure valides.",
    "datetime_from_date_parsing": "Indiquez une date et une heure valides.",
    "datetime_type": "Indiquez une date et une heure valides.",
    "timezone_aware": "Indiquez une date et une heure avec leur fuseau horaire.",
    "time_parsing": "Indiquez une heure valide (heures et minutes).",
    "time_type": "Indiquez une heure valide (heures et minutes).",
    "literal_error": "Choisissez une des valeurs proposées.",
    "enum": "Choisissez une des valeurs proposées.",
    "greater_than_equal": "La valeur est trop petite.",
    "less_than_equal": "La valeur est trop grande.",
    "greater_than": "La valeur est trop petite.",
    "less_than": "La valeur est trop grande.",
    "string_too_short": "Ce champ est obligatoire.",
    "string_too_long": "Le texte est trop long.",
    "too_short": "Choisissez au moins un élément.",
    "too_long": "Vous avez choisi trop d'éléments.",
    "list_type": "Choisissez un ou plusieurs éléments.",
    "dict_type": "Ce champ est mal rempli.",
    "model_type": "Ce champ est mal rempli.",
    "json_invalid": "Les données envoyées sont illisibles.",
    "extra_forbidden": "Ce champ n'est pas accepté ici.",
    "value_error": "Cette valeur n'est pas valide.",
    "float_parsing": "Indiquez un nombre.",
    "float_type": "Indiquez un nombre.",
    "string_pattern_mismatch": "Le format de ce champ n'est pas valide.",
}

# With their limit, when pydantic gives it (ctx): "Saisissez au moins 12 caractères."
_FIELD_MESSAGES_WITH_LIMIT = {
    "greater_than_equal": ("ge", "La valeur doit être supérieure ou égale à {}."),
    "less_than_equal": ("le", "La valeur doit être inférieure ou égale à {}."),
    "greater_than": ("gt", "La valeur doit être supérieure à {}."),
    "less_than": ("lt", "La valeur doit être inférieure à {}."),
    "string_too_long": ("max_length", "Saisissez au plus {} caractères."),
    "too_long": ("max_length", "Choisissez au plus {} éléments."),
}


def _message(kind: str, ctx: dict[str, Any]) -> str:
    if kind == "string_too_short" and (ctx.get("min_length") or 1) > 1:
        return f"Saisissez au moins {ctx['min_length']} caractères."
    if kind == "too_short" and (ctx.get("min_length") or 1) > 1:
        return f"Choisissez au moins {ctx['min_length']} éléments."
    if kind in _FIELD_MESSAGES_WITH_LIMIT:
        key, text = _FIELD_MESSAGES_WITH_LIMIT[kind]
        if ctx.get(key) is not None:
            return text.format(ctx[key])
    return _FIELD_MESSAGES.get(kind, "Cette valeur n'est pas valide.")


def french_field_errors(errors: list[dict[str, Any]]) -> dict[str, str]:
    """Map pydantic errors to {"field.path": "message en français"}."""
    fields: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        key = ".".join(loc) or "body"
        kind = err.get("type", "value_error")
        ctx = err.get("ctx") or {}
        message = _message(kind, ctx)
        if kind == "value_error":
            ctx_error = ctx.get("error")
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
