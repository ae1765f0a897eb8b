from datetime import date

import pytest

from services.availability.domain.jours_feries import ZONES, between, of_year

COMMON_2027 = {date(2027, 1, 1): "Jour de l'an", date(2027, 3, 29): "Lundi de Pâques",
               date(2027, 5, 1): "Fête du Travail", date(2027, 5, 6): "Ascension",
               date(2027, 5, 8): "Fête de la Victoire", date(2027, 5, 17): "Lundi de Pentecôte",
               date(2027, 7, 14): "Fête nationale", date(2027, 8, 15): "Assomption",
               date(2027, 11, 1): "Toussaint", date(2027, 11, 11): "Armistice", date(2027, 12, 25): "Noël"}


def test_metropole_2027():
    assert dict(of_year(2027, "metropole")) == COMMON_2027


def test_alsace_moselle_adds_good_friday_and_saint_stephen():
    extra = set(of_year(2027, "alsace-moselle")) - set(of_year(2027, "metropole"))
    assert extra == {(date(2027, 3, 26), "Vendredi saint"), (date(2027, 12, 26), "Saint-Étienne")}


@pytest.mark.parametrize("zone, day", [("guadeloupe", date(2027, 5, 27)), ("martinique", date(2027, 5, 22)),
                                       ("guyane", date(2027, 6, 10)), ("la-reunion", date(2027, 12, 20)),
                                       ("mayotte", date(2027, 4, 27))])
def test_overseas_zones_have_their_abolition_of_slavery_day(zone, day):
    holidays = dict(of_year(2027, zone))
    assert holidays[day] == "Abolition de l'esclavage"
    assert set(COMMON_2027) <= set(holidays)


def test_every_contract_zone_is_known():
    assert set(ZONES) == {"metropole", "alsace-moselle", "guadeloupe", "martinique", "guyane", "la-reunion", "mayotte"}


def test_between_spans_years():
    assert between(date(2026, 12, 20), date(2027, 1, 5), "metropole") == {date(2026, 12, 25): "Noël",
                                                                          date(2027, 1, 1): "Jour de l'an"}
