"""Domain errors: a stable code, the field concerned and a French message."""
from __future__ import annotations


class InvalidRule(ValueError):
    """A plage, absence or recurrence that breaks the contract's rules."""

    def __init__(self, field: str, message: str, code: str = "validation_error"):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code
