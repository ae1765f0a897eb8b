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


# ---- past the package's last year, and the two observances of the overseas zones ----------------

import holidays  # noqa: E402

from services.availability.domain.jours_feries import LAST_YEAR, _statutory_names, computed  # noqa: E402


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_own_computation_is_the_package_wherever_both_answer(zone):
    # from 2008 on, the law of today (Lundi de Pentecôte a holiday again); the package stops after 2100
    for year in range(2008, holidays.France.end_year + 1):
        assert computed(year, zone) == dict(holidays.France(years=year, subdiv=ZONES[zone], language="fr")), year


def test_holidays_go_on_after_the_package_stops():
    assert len(holidays.France(years=2101)) == 0  # why we compute them ourselves
    days = dict(of_year(2101, "metropole"))
    assert len(days) == 11
    assert days[date(2101, 12, 25)] == "Noël" and days[date(2101, 1, 1)] == "Jour de l'an"
    assert days[date(2101, 4, 18)] == "Lundi de Pâques"  # Easter Sunday 2101: 17 April
    assert dict(of_year(LAST_YEAR, "metropole"))[date(LAST_YEAR, 7, 14)] == "Fête nationale"
    assert between(date(2100, 12, 24), date(2101, 1, 2), "alsace-moselle") == {
        date(2100, 12, 25): "Noël", date(2100, 12, 26): "Saint-Étienne", date(2101, 1, 1): "Jour de l'an"}


GUADELOUPE_LOCAL_2027 = {(date(2027, 3, 4), "Mi-Carême"), (date(2027, 3, 26), "Vendredi saint"),
                         (date(2027, 7, 21), "Fête de Victor Schoelcher")}


@pytest.mark.parametrize("year", [2027, 2101])
def test_guadeloupe_and_martinique_statutory_days_leave_out_local_observances(year):
    for zone, local_only in (("guadeloupe", {"Mi-Carême", "Vendredi saint", "Fête de Victor Schoelcher"}),
                             ("martinique", {"Fête de Victor Schoelcher"})):
        local, statutory = dict(of_year(year, zone, "local")), dict(of_year(year, zone, "statutory"))
        assert set(local.values()) - set(statutory.values()) == local_only
        assert set(statutory.items()) < set(local.items())
        assert "Abolition de l'esclavage" in statutory.values()
    assert set(of_year(2027, "guadeloupe", "local")) - set(of_year(2027, "guadeloupe", "statutory")) \
        == GUADELOUPE_LOCAL_2027


@pytest.mark.parametrize("zone", ["metropole", "alsace-moselle", "guyane", "la-reunion", "mayotte"])
def test_other_zones_have_no_local_only_day(zone):
    assert of_year(2027, zone, "statutory") == of_year(2027, zone, "local")


def test_a_shared_day_keeps_its_statutory_part():
    # 2049: Ascension and Abolition (Guadeloupe) both fall on 27 May, a day named "A; B" by the package
    shared = [(d, n) for d, n in of_year(2049, "guadeloupe", "statutory") if "; " in n]
    assert shared == [(date(2049, 5, 27), "Abolition de l'esclavage; Ascension")]
    assert _statutory_names("guadeloupe", "Mi-Carême; Noël") == "Noël"
    assert _statutory_names("guadeloupe", "Mi-Carême") == ""
