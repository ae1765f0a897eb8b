"""The contract's password policy: 12+ characters with a digit, an upper-case letter and a symbol."""
from __future__ import annotations

import re

from shared.errors import AppError

MIN_LENGTH = 12
# Each rule is one regular expression, so that /openapi.json states the very rule the server applies
# (a digit 0-9; an upper-case letter, accented ones of French included; a symbol: neither a letter, a
# digit nor a space).
DIGIT, UPPER, SYMBOL = "[0-9]", "[A-ZÀ-ÖØ-Þ]", "([^\\w\\s]|_)"
PASSWORD_PATTERN = (f"^(?=[\\s\\S]*{DIGIT})(?=[\\s\\S]*{UPPER})(?=[\\s\\S]*{SYMBOL})"
                    f"[\\s\\S]{{{MIN_LENGTH},}}$")


class WeakPassword(AppError):
    status = 422
    code = "weak_password"
    message = ("Le mot de passe doit contenir au moins 12 caractères, dont un chiffre, "
               "une majuscule et un symbole.")


def missing_rules(password: str) -> list[str]:
    """Return the French descriptions of the rules the password breaks (empty when it is strong)."""
    missing = []
    if len(password) < MIN_LENGTH:
        missing.append("au moins 12 caractères")
    if not re.search(DIGIT, password):
        missing.append("un chiffre")
    if not re.search(UPPER, password):
        missing.append("une majuscule")
    if not re.search(SYMBOL, password):
        missing.append("un symbole")
    return missing


def check_password(password: str) -> None:
    """Raise WeakPassword unless the password follows the policy."""
    missing = missing_rules(password)
    if missing:
        raise WeakPassword(details={"fields": {"password": "Il manque : " + ", ".join(missing) + "."},
                                    "missing": missing})
