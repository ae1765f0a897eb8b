"""Wall time + organisation timezone <-> UTC instants, DST-safe. The one place that converts."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Paris"


@lru_cache(maxsize=64)
def tz(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a directory
        return False
    return True


def to_utc(day: date, wall: time, zone: str) -> datetime:
    """Return the UTC instant of a local wall time on a local day.

    A wall time that does not exist (spring-forward gap, e.g. 02:30 on the last Sunday
    of March in Paris) is moved forward by the gap, as a clock on the wall would read it;
    an ambiguous one (autumn fall-back) takes its first occurrence.
    """
    local = datetime.combine(day, wall).replace(tzinfo=tz(zone), fold=0)
    utc = local.astimezone(timezone.utc)
    # A non-existent wall time round-trips to a different wall time: detect and shift.
    back = utc.astimezone(tz(zone))
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        shifted = local.replace(fold=1).astimezone(timezone.utc)
        return max(utc, shifted)
    return utc


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """Return [start, end) of a local day as UTC instants (23 or 25 hours on DST days)."""
    return to_utc(day, time(0), zone), to_utc(day + timedelta(days=1), time(0), zone)


def local(instant: datetime, zone: str) -> datetime:
    """Return an aware instant expressed in the organisation's timezone."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime refused")
    return instant.astimezone(tz(zone))


def local_day(instant: datetime, zone: str) -> date:
    return local(instant, zone).date()


def today(zone: str, now: datetime | None = None) -> date:
    """Return 'today' in the organisation's timezone."""
    from shared import clock

    return local_day(now or clock.now(), zone)


def iso(instant: datetime, zone: str) -> str:
    """Format an instant as ISO 8601 with the organisation's offset (contract format)."""
    return local(instant, zone).isoformat(timespec="seconds")


def parse_instant(value: str) -> datetime:
    """Parse an ISO 8601 instant that must carry an offset."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("instant sans décalage horaire")
    return parsed.astimezone(timezone.utc)
