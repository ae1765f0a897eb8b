"""Domain errors: a stable code, a French message, an HTTP status (mapped once, in shared.web)."""
from __future__ import annotations

from shared.errors import ValidationFailed


class UsagerError(ValidationFailed):
    """A usager's data breaks a rule: 422 `validation_error` unless a subclass says otherwise."""


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
