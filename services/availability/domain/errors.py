"""Domain errors: a stable code, the field concerned and a French message."""
from __future__ import annotations

from shared.errors import ValidationFailed


class InvalidRule(ValidationFailed):
    """A plage, absence or recurrence that breaks the contract's rules: 422 naming the field."""

    def __init__(self, field: str, message: str, code: str = "validation_error"):
        super().__init__(message, code=code, details={"fields": {field: message}})
        self.field = field
