"""The retention period: 2 calendar years after the RDV's end (29 February included)."""
from datetime import datetime, timedelta, timezone

from services.booking.service_layer.retention import retention_cutoff, years_before
from services.usagers.service_layer.retention import retention_cutoff as usagers_cutoff

UTC = timezone.utc


def test_cutoff_is_two_calendar_years_before():
    as_of = datetime(2029, 3, 3, 11, 0, tzinfo=UTC)
    assert retention_cutoff(as_of) == datetime(2027, 3, 3, 11, 0, tzinfo=UTC)
    assert usagers_cutoff(as_of) == retention_cutoff(as_of)
    # an RDV ended one second before the cutoff is past its period; one ended at it is kept
    assert datetime(2027, 3, 3, 10, 59, 59, tzinfo=UTC) < retention_cutoff(as_of)
    assert not datetime(2027, 3, 3, 11, 0, tzinfo=UTC) < retention_cutoff(as_of)


def test_29_february_falls_back_to_28():
    assert years_before(datetime(2028, 2, 29, 9, 0, tzinfo=UTC), 2) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert usagers_cutoff(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert years_before(datetime(2028, 3, 1, tzinfo=UTC), 2) - years_before(datetime(2028, 2, 29, tzinfo=UTC), 2) \
        == timedelta(days=1)
