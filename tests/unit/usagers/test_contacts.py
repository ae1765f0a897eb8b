"""Phones to E.164 from any French way of writing them; emails validated."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.usagers.domain.contacts import normalise_email, normalise_phone, phone_search_key
from services.usagers.domain.errors import InvalidEmail, InvalidPhone


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "06-12-34-56-78",
                                   "+33 6 12 34 56 78", "+33612345678", "0033 6 12 34 56 78",
                                   " (0)6 12 34 56 78 ".replace("(0)", "0"), "+33 (0)6 12 34 56 78"])
def test_a_french_mobile_in_any_format(typed):
    assert normalise_phone(typed) == "+33612345678"


@pytest.mark.parametrize("typed, e164", [
    ("0590 27 12 34", "+590590271234"),   # Guadeloupe, fixed
    ("0690 35 12 34", "+590690351234"),   # Guadeloupe, mobile
    ("0596 63 12 34", "+596596631234"),   # Martinique, fixed
    ("0696 21 12 34", "+596696211234"),   # Martinique, mobile
    ("0594 30 12 34", "+594594301234"),   # Guyane, fixed
    ("0694 20 12 34", "+594694201234"),   # Guyane, mobile
    ("0262 21 12 34", "+262262211234"),   # La Réunion, fixed
    ("0692 12 12 34", "+262692121234"),   # La Réunion, mobile
    ("0269 61 12 34", "+262269611234"),   # Mayotte, fixed
    ("0639 69 12 34", "+262639691234"),   # Mayotte, mobile
    ("+33 6 90 35 12 34", "+590690351234"),  # written with +33 as people do: still Guadeloupe
    ("+590 690 35 12 34", "+590690351234"),
    ("01 23 45 67 89", "+33123456789"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_overseas_and_other_numbers_keep_their_country_code(typed, e164):
    assert normalise_phone(typed) == e164


@pytest.mark.parametrize("typed", ["123", "06 12 34", "06 12 34 56 78 90 12", "abc", "06 12 34 56 7a",
                                   "+33 0 00 00 00 00", "0000000000"])
def test_an_invalid_phone_is_refused(typed):
    with pytest.raises(InvalidPhone) as err:
        normalise_phone(typed)
    assert err.value.code == "invalid_phone"


def test_no_phone_is_none():
    assert normalise_phone(None) is None
    assert normalise_phone("  ") is None


# 0639 and 069x are overseas mobiles (Mayotte, Antilles, Guyane, Réunion): tested above.
@given(st.integers(min_value=40_000_000, max_value=89_999_999), st.sampled_from(["6"]),
       st.sampled_from([" ", ".", "-", ""]), st.sampled_from(["0", "+33", "0033", "+33 "]))
def test_any_spacing_of_a_mobile_gives_one_e164(digits, first, sep, prefix):
    rest = f"{first}{digits:08d}"
    pairs = sep.join([rest[0], *[rest[i:i + 2] for i in range(1, 9, 2)]])
    assert normalise_phone(prefix + pairs) == "+33" + rest


@pytest.mark.parametrize("typed, key", [
    ("06 12 34", "061234"), ("+33 6 12", "0612"), ("0033612", "0612"), ("612345678", "0612345678"),
    ("+590 690 12", "069012"), ("+44 20", "4420"), ("06.12.34.56.78", "0612345678")])
def test_a_typed_phone_becomes_a_prefix_of_the_stored_search_form(typed, key):
    assert phone_search_key(typed) == key


def test_emails_are_validated_and_normalised():
    assert normalise_email(" Elodie.Martin@Example.FR ") == "Elodie.Martin@example.fr"
    assert normalise_email("") is None
    for bad in ("elodie", "elodie@", "@example.fr", "a b@example.fr", "elodie@exa mple.fr"):
        with pytest.raises(InvalidEmail) as err:
            normalise_email(bad)
        assert err.value.code == "invalid_email"
