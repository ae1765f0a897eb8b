"""The contract's password policy: 12+ characters with a digit, an upper-case letter and a symbol."""
from __future__ import annotations

from shared.errors import AppError

MIN_LENGTH = 12


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
    if not any(c.isdigit() for c in password):
        missing.append("un chiffre")
    if not any(c.isupper() for c in password):
        missing.append("une majuscule")
    if not any(not c.isalnum() and not c.isspace() for c in password):
        missing.append("un symbole")
    return missing


def check_password(password: str) -> None:
    """Raise WeakPassword unless the password follows the policy."""
    missing = missing_rules(password)
    if missing:
        raise WeakPassword(details={"fields": {"password": "Il manque : " + ", ".join(missing) + "."},
                                    "missing": missing})
