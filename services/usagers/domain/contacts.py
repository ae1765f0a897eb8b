"""Contact details: phones to E.164 (region FR, DOM numbers to their own codes), emails."""
from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from services.usagers.domain.errors import InvalidEmail, InvalidPhone

# National prefixes of the overseas departments: their numbers are written like French ones
# ("0690 12 34 56") but belong to their own country codes. Mayotte shares +262 with La Réunion.
DOM_PREFIXES = {
    "590": "GP", "690": "GP", "691": "GP",
    "596": "MQ", "696": "MQ", "697": "MQ",
    "594": "GF", "694": "GF",
    "262": "RE", "263": "RE", "692": "RE", "693": "RE",
    "269": "YT", "639": "YT",
}
# Country codes whose national numbers an agent types with a leading 0, like French ones.
FRENCH_LIKE_CODES = ("33", "590", "594", "596", "262")
_PHONE_CHARS = re.compile(r"^[\d\s.\-+()/]+$")


def normalise_phone(raw: str | None) -> str | None:
    """Return the E.164 form of a phone typed in any French format, None when empty."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not _PHONE_CHARS.match(text) or sum(c.isdigit() for c in text) < 6:
        raise InvalidPhone(details={"fields": {"phone": "Numéro de téléphone invalide."}})
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(details={"fields": {"phone": "Numéro de téléphone invalide."}}) from exc
    if number.country_code == 33:
        national = phonenumbers.national_significant_number(number)
        region = DOM_PREFIXES.get(national[:3])
        if region:  # "0690...", or "+33 690..." as people write it: an overseas number
            dom = phonenumbers.parse("0" + national, region)
            if phonenumbers.is_possible_number(dom) and len(national) == 9:
                return phonenumbers.format_number(dom, phonenumbers.PhoneNumberFormat.E164)
            raise InvalidPhone(details={"fields": {"phone": "Numéro de téléphone invalide."}})
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(details={"fields": {"phone": "Numéro de téléphone invalide."}})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str | None) -> str | None:
    """Return the normalised address (domain lower-cased), None when empty."""
    if raw is None or not raw.strip():
        return None
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(details={"fields": {"email": "Adresse e-mail invalide."}}) from exc
    return info.normalized


def looks_like_phone(query: str) -> bool:
    return bool(_PHONE_CHARS.match(query)) and any(c.isdigit() for c in query)


def phone_search_key(query: str) -> str:
    """What a (partial) typed phone is as a prefix of the stored search form.

    The stored form is the national number with its 0 for France and the DOM
    ("0612345678", "0690123456"), the international digits for other countries.
    """
    text = query.strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("+") or digits.startswith("00"):
        international = digits if text.startswith("+") else digits[2:]
        for code in FRENCH_LIKE_CODES:
            if international.startswith(code):
                return "0" + international[len(code):]
        return international
    if len(digits) == 9 and not digits.startswith("0"):
        return "0" + digits  # "6 12 34 56 78": the 0 forgotten
    return digits
