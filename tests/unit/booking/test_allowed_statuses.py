"""`allowed_statuses` as the RDV view computes it: the organisation's day, across midnight on DST nights."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.booking.domain.rdv import STATUSES, InvalidTransition, Rdv, allowed_statuses, check_transition
from services.booking.service_layer.views import rdv_view
from shared.timeutil import parse_instant, today

PARIS = "Europe/Paris"


def _rdv(starts_at: str, status: str = "unknown") -> Rdv:
    start = parse_instant(starts_at)
    return Rdv(id=uuid.uuid4(), organisation_id=uuid.uuid4(), motif_id=uuid.uuid4(), service_id=uuid.uuid4(),
               lieu_id=None, agent_ids=(uuid.uuid4(),), usager_ids=(uuid.uuid4(),), starts_at=start,
               ends_at=start + timedelta(minutes=30), status=status, context=None, origin="agent",
               created_at=start - timedelta(days=3), created_by=None, cancelled_at=None, version=1)


def _seen_at(rdv: Rdv, now: str) -> dict:
    return rdv_view(rdv, zone=PARIS, today=today(PARIS, parse_instant(now)))


@pytest.mark.parametrize("starts_at, last_minute, midnight", [
    # Spring forward: Sunday 28 March 2027 begins at 23:00 UTC on the 27th (+01:00), the clocks jump at 02:00.
    ("2027-03-28T03:30:00+02:00", "2027-03-27T23:59:59+01:00", "2027-03-28T00:00:00+01:00"),
    # Fall back: Sunday 31 October 2027 begins at 22:00 UTC on the 30th (+02:00), 02:30 happens twice.
    ("2027-10-31T02:30:00+01:00", "2027-10-30T23:59:59+02:00", "2027-10-31T00:00:00+02:00"),
])
def test_outcomes_open_at_the_organisation_s_midnight_on_dst_days(starts_at, last_minute, midnight):
    rdv = _rdv(starts_at)
    before = _seen_at(rdv, last_minute)
    assert before["display_status"] == "a_venir" and before["allowed_statuses"] == ["excused", "revoked"]
    after = _seen_at(rdv, midnight)
    assert after["display_status"] == "a_renseigner"
    assert after["allowed_statuses"] == ["seen", "noshow", "excused", "revoked"]


@pytest.mark.parametrize("status", ["seen", "noshow", "excused", "revoked"])
def test_a_decided_rdv_only_goes_back_to_unknown(status):
    assert _seen_at(_rdv("2027-03-28T03:30:00+02:00", status), "2027-03-29T09:00:00+02:00")[
        "allowed_statuses"] == ["unknown"]


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("offset_days", [-1, 0, 1])
def test_allowed_statuses_are_exactly_the_accepted_transitions(current, offset_days):
    day = datetime(2027, 3, 28, tzinfo=timezone.utc).date()
    now = day + timedelta(days=offset_days)
    accepted = []
    for target in STATUSES:
        try:
            check_transition(current, target, rdv_day=day, today=now)
        except InvalidTransition:
            continue
        if target != current:
            accepted.append(target)
    assert allowed_statuses(current, rdv_day=day, today=now) == accepted


def test_too_early_message_names_the_rdv_s_day():
    with pytest.raises(InvalidTransition) as err:
        check_transition("unknown", "noshow", rdv_day=datetime(2027, 3, 28).date(),
                         today=datetime(2027, 3, 27).date())
    assert err.value.code == "invalid_transition"
    assert err.value.message.startswith("Le jour de ce rendez-vous (28/03/2027) n'est pas encore arrivé")
    assert err.value.details["rdv_day"] == "2027-03-28"
