"""Which phone numbers can receive an SMS, and how recipients are shown masked."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

# Metropolitan France and the overseas départements / collectivités with French numbering.
FRENCH_REGIONS = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF"})


@lru_cache(maxsize=4096)  # parsing a number costs ~50 µs; the same usagers are told again and again
def is_mobile(phone: str | None) -> bool:
    """True for a French (metropolitan 06/07 or overseas) mobile number."""
    if not phone:
        return False
    try:
        number = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        return False
    national = str(number.national_number)
    if number.country_code == 33 and len(national) == 9 and national[0] in "67":
        return True  # the French plan gives all of 06 and 07 to mobiles, allocated or not yet
    if not phonenumbers.is_valid_number(number):
        return False
    if phonenumbers.region_code_for_number(number) not in FRENCH_REGIONS:
        return False
    return phonenumbers.number_type(number) == PhoneNumberType.MOBILE


@lru_cache(maxsize=4096)
def to_e164(phone: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(phone, "FR"), phonenumbers.PhoneNumberFormat.E164)


def mask(channel: str, address: str) -> str:
    """`+33612345678` -> `+336******78`; `jeanne@example.fr` -> `j*****@example.fr`."""
    if channel == "email" and "@" in address:
        local, domain = address.split("@", 1)
        return (local[:1] + "*" * max(len(local) - 1, 1)) + "@" + domain
    if len(address) <= 6:
        return "*" * len(address)
    return address[:4] + "*" * (len(address) - 6) + address[-2:]
