"""The one error tree: every refusal has an HTTP status, a stable code and a French message.

Pure Python, so a domain package may raise these without pulling in the web framework.
`shared.web.errors` maps them, once, to the contract's error body:
`{"error": {"code": "<stable_snake_case>", "message": "<French sentence>", "details": {...}}}`.
Routes raise `AppError` (or a subclass); they never build error JSON by hand. A service's own
domain errors subclass one of these (`RdvRuleBroken(Conflict)`, `UsagerError(ValidationFailed)`).
"""
from __future__ import annotations

from typing import Any


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
