"""Pure rules of reporting: labels, minors, file names, filters."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, strategies as st

from services.reporting.adapters.scope_sql import scope_where
from services.reporting.domain.export_file import COLUMNS, export_filename, slugify
from services.reporting.domain.labels import (display_status, is_minor, location_type_label, notifications_label,
                                              origin_label, status_label, week_label, week_start)
from services.reporting.domain.scope import RdvFilters, Viewer, parse_statuses


def test_columns_are_the_contract_order():
    assert COLUMNS == ("année", "date prise rdv", "heure prise rdv", "origine", "date rdv", "heure rdv", "service",
                       "motif", "contexte", "statut", "lieu", "professionnel.le(s)", "usager(s)",
                       "au moins un usager mineur ?", "résultat des notifications", "organisation",
                       "date naissance", "créé par")


@pytest.mark.parametrize("status, label", [
    ("a_venir", "À venir"), ("a_renseigner", "À renseigner"), ("seen", "Rendez-vous honoré"),
    ("noshow", "Absence non excusée"), ("excused", "Annulé (excusé)"), ("revoked", "Annulé (révoqué)")])
def test_status_labels_are_french(status, label):
    assert status_label(status) == label


def test_display_status_turns_on_the_rdv_day():
    day = date(2027, 3, 28)
    assert display_status("unknown", rdv_day=day, today=date(2027, 3, 27)) == "a_venir"
    assert display_status("unknown", rdv_day=day, today=day) == "a_renseigner"
    assert display_status("seen", rdv_day=day, today=date(2027, 3, 1)) == "seen"


def test_other_labels():
    assert origin_label("usager") == "Réservé en ligne par l'usager"
    assert location_type_label("visio") == "En visioconférence"
    assert location_type_label(None) == "Inconnu"
    assert week_label(week_start(date(2027, 3, 28))) == "Semaine du 22/03/2027"
    assert notifications_label(0, 0) == "Aucune notification"
    assert notifications_label(2, 0) == "2 envoyées"
    assert notifications_label(1, 3) == "1 envoyée, 3 en échec"


def test_minor_until_the_eighteenth_birthday():
    born = date(2009, 3, 28)
    assert is_minor(born, on=date(2027, 3, 27))
    assert not is_minor(born, on=date(2027, 3, 28))
    assert not is_minor(None, on=date(2027, 3, 28))
    assert is_minor(date(2008, 2, 29), on=date(2026, 2, 28))
    assert not is_minor(date(2008, 2, 29), on=date(2026, 3, 1))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)))
def test_week_start_is_the_monday_before(day):
    monday = week_start(day)
    assert monday.weekday() == 0 and 0 <= (day - monday).days < 7


def test_export_filename():
    assert slugify("Mairie de Fécamp") == "mairie-de-fecamp"
    assert slugify("!!!") == "organisation"
    assert export_filename(day=date(2027, 3, 1), organisation_slug="démo") == "export-rdv-2027-03-01-demo.xlsx"
    assert export_filename(day=date(2027, 3, 1), organisation_slug=None,
                           organisation_name="CCAS d'Évreux") == "export-rdv-2027-03-01-ccas-d-evreux.xlsx"


def test_status_filters():
    assert parse_statuses("seen, noshow,seen") == ("seen", "noshow")
    assert parse_statuses(None) == ()
    with pytest.raises(ValueError, match="Statut inconnu"):
        parse_statuses("lost")


def test_filters_round_trip_through_json():
    filters = RdvFilters(agent_id=uuid.uuid4(), statuses=("a_venir",), from_day=date(2027, 3, 1),
                         to_day=date(2027, 3, 31))
    assert RdvFilters.from_json(filters.to_json()) == filters


def test_scope_of_a_basic_agent_and_local_day_bounds():
    viewer = Viewer(organisation_id=uuid.uuid4(), agent_id=uuid.uuid4(), is_admin=False,
                    service_ids=(uuid.uuid4(),))
    where, params = scope_where(viewer=viewer, filters=RdvFilters(from_day=date(2027, 3, 28),
                                                                  to_day=date(2027, 3, 28)),
                                timezone="Europe/Paris", today=date(2027, 3, 1))
    assert "viewer_services" in where and "viewer_agent" in where
    # the DST day in Paris lasts 23 hours: [27 23:00 UTC, 28 22:00 UTC)
    assert params["from_at"] == datetime(2027, 3, 27, 23, tzinfo=timezone.utc)
    assert params["to_at"] == datetime(2027, 3, 28, 22, tzinfo=timezone.utc)
    admin_where, _ = scope_where(viewer=Viewer(viewer.organisation_id, viewer.agent_id, True), filters=RdvFilters(),
                                 timezone="Europe/Paris", today=date(2027, 3, 1))
    assert "viewer" not in admin_where
