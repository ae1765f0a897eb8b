"""Domain errors: a stable code, a French message, an HTTP status (mapped at the edge)."""
from __future__ import annotations

from typing import Any


class UsagerError(Exception):
    status = 422
    code = "validation_error"
    message = "Les données envoyées ne sont pas valides."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.message
        self.details = details or {}
        super().__init__(self.message)


class InvalidPhone(UsagerError):
    code = "invalid_phone"
    message = "Le numéro de téléphone n'est pas valide."


class InvalidEmail(UsagerError):
    code = "invalid_email"
    message = "L'adresse e-mail n'est pas valide."


class InvalidField(UsagerError):
    """A field breaks a rule (empty name, birth date in the future...)."""

    def __init__(self, field: str, message: str):
        super().__init__(message, details={"fields": {field: message}})


class InvalidResponsible(UsagerError):
    code = "invalid_responsible"
    message = "Le responsable indiqué ne convient pas."


class UsagerAnonymized(UsagerError):
    status = 409
    code = "usager_anonymized"
    message = "Cet usager a été anonymisé : sa fiche ne peut plus être modifiée."
