"""Status transitions, displayed status and visibility of an RDV, as the contract states them."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from services.booking.domain.rdv import (ACTIVE_STATUSES, STATUSES, InvalidTransition, Rdv, Viewer,
                                         check_transition, display_status, normalise_ids)
from services.booking.service_layer.views import changes_view, rdv_event_view, rdv_view

DAY = date(2027, 3, 10)
BEFORE, SAME, AFTER = DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)


def allowed(current, target, today):
    try:
        check_transition(current, target, rdv_day=DAY, today=today)
        return True
    except InvalidTransition:
        return False


@pytest.mark.parametrize("target", ["excused", "revoked"])
@pytest.mark.parametrize("today", [BEFORE, SAME, AFTER])
def test_cancelling_an_unknown_rdv_is_allowed_at_any_time(target, today):
    assert allowed("unknown", target, today)


@pytest.mark.parametrize("target", ["seen", "noshow"])
def test_outcome_only_once_the_day_has_come(target):
    assert not allowed("unknown", target, BEFORE)
    assert allowed("unknown", target, SAME)
    assert allowed("unknown", target, AFTER)


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("today", [BEFORE, SAME, AFTER])
def test_any_status_may_be_reset_to_unknown(current, today):
    assert allowed(current, "unknown", today)


@pytest.mark.parametrize("current", ["seen", "noshow", "excused", "revoked"])
@pytest.mark.parametrize("target", ["seen", "noshow", "excused", "revoked"])
def test_a_decided_rdv_must_be_reset_before_another_outcome(current, target):
    with pytest.raises(InvalidTransition) as err:
        check_transition(current, target, rdv_day=DAY, today=AFTER)
    assert err.value.code == "invalid_transition"
    assert "rendez-vous" in err.value.message


def test_unknown_target_status_is_refused():
    assert not allowed("unknown", "done", AFTER)


def test_display_status_follows_the_local_day():
    assert display_status("unknown", rdv_day=DAY, today=BEFORE) == "a_venir"
    assert display_status("unknown", rdv_day=DAY, today=SAME) == "a_renseigner"
    assert display_status("unknown", rdv_day=DAY, today=AFTER) == "a_renseigner"
    for status in ("seen", "noshow", "excused", "revoked"):
        assert display_status(status, rdv_day=DAY, today=BEFORE) == status


def _rdv(**kw) -> Rdv:
    start = datetime(2027, 3, 28, 1, 30, tzinfo=timezone.utc)  # 03:30 Paris, the spring-forward day
    base = dict(id=uuid.uuid4(), organisation_id=uuid.uuid4(), motif_id=uuid.uuid4(), service_id=uuid.uuid4(),
                lieu_id=uuid.uuid4(), agent_ids=(uuid.uuid4(),), usager_ids=(uuid.uuid4(),), starts_at=start,
                ends_at=start + timedelta(minutes=30), status="unknown", context=None, origin="agent",
                created_at=start - timedelta(days=3), created_by=None, cancelled_at=None, version=1)
    base.update(kw)
    return Rdv(**base)


def test_basic_agent_sees_their_services_and_their_own_rdvs_admin_sees_all():
    rdv = _rdv()
    org = rdv.organisation_id
    me = uuid.uuid4()
    assert rdv.visible_to(Viewer(org, me, is_admin=True))
    assert rdv.visible_to(Viewer(org, me, is_admin=False, service_ids=frozenset({rdv.service_id})))
    assert rdv.visible_to(Viewer(org, rdv.agent_ids[0], is_admin=False))
    assert not rdv.visible_to(Viewer(org, me, is_admin=False, service_ids=frozenset({uuid.uuid4()})))
    assert not rdv.visible_to(Viewer(uuid.uuid4(), me, is_admin=True))


def test_cancellation_sets_and_reset_clears_cancelled_at():
    at = datetime(2027, 3, 1, 9, tzinfo=timezone.utc)
    cancelled = _rdv().with_status("excused", at=at)
    assert cancelled.cancelled_at == at and cancelled.version == 2 and not cancelled.active
    reset = cancelled.with_status("unknown", at=at)
    assert reset.cancelled_at is None and reset.version == 3 and reset.active
    assert ACTIVE_STATUSES == {"unknown", "seen", "noshow"}


def test_views_render_instants_with_the_organisation_offset_on_dst_day():
    rdv = _rdv()
    view = rdv_view(rdv, zone="Europe/Paris", today=date(2027, 3, 1))
    assert view["starts_at"] == "2027-03-28T03:30:00+02:00"
    assert view["ends_at"] == "2027-03-28T04:00:00+02:00"
    assert view["created_at"] == "2027-03-25T02:30:00+01:00"
    assert view["display_status"] == "a_venir"
    assert set(view) == {"id", "organisation_id", "motif_id", "lieu_id", "agent_ids", "usager_ids", "starts_at",
                         "ends_at", "status", "display_status", "context", "created_at", "created_by",
                         "cancelled_at", "allowed_statuses"}
    assert view["allowed_statuses"] == ["excused", "revoked"]
    event = rdv_event_view(rdv, zone="Europe/Paris", today=date(2027, 3, 28))
    assert event["display_status"] == "a_renseigner"
    assert event["duration_minutes"] == 30 and event["version"] == 1 and event["origin"] == "agent"
    assert event["service_id"] == str(rdv.service_id)
    assert "allowed_statuses" not in event  # depends on the reader's "now": not carried by events


def test_changes_name_old_and_new_values():
    before = _rdv()
    after = Rdv(**{**before.__dict__, "starts_at": before.starts_at + timedelta(hours=1),
                   "ends_at": before.ends_at + timedelta(hours=2), "context": "à domicile"})
    changes = changes_view(before, after, zone="Europe/Paris")
    assert changes["starts_at"] == ["2027-03-28T03:30:00+02:00", "2027-03-28T04:30:00+02:00"]
    assert changes["duration_minutes"] == [30, 90]
    assert changes["context"] == [None, "à domicile"]
    assert "agent_ids" not in changes and "lieu_id" not in changes


@given(st.lists(st.uuids(), max_size=8))
def test_normalise_ids_keeps_first_occurrences_in_order(ids):
    out = normalise_ids(ids + ids)
    assert list(out) == list(dict.fromkeys(ids))
