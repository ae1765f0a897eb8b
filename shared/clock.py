"""The one clock every service reads.

`RDV_NOW` makes the clock start at a given instant and run on from it (demos, tests).
The supervisor also passes `RDV_NOW_ANCHOR` (the real epoch seconds at which `RDV_NOW`
was true) so that every process of one system agrees on the same "now".
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from shared.settings import PlatformSettings, ProductionRefused


class Clock:
    def __init__(self, start: datetime | None = None, anchor: float | None = None):
        self._start = start
        self._anchor = anchor if anchor is not None else time.time()

    @classmethod
    def from_env(cls) -> "Clock":
        settings = PlatformSettings()  # read afresh: tests change RDV_NOW and call reset_from_env
        if not settings.now:
            return cls()
        if settings.production:
            raise ProductionRefused("RDV_NOW est refusé en production")
        start = datetime.fromisoformat(settings.now.replace("Z", "+00:00"))
        if start.tzinfo is None:
            raise RuntimeError("RDV_NOW doit porter un décalage horaire (ex. 2027-03-01T09:00:00+01:00)")
        return cls(start, settings.now_anchor)

    def now(self) -> datetime:
        """Return the current instant, timezone-aware, in UTC."""
        if self._start is None:
            return datetime.now(timezone.utc)
        return (self._start + timedelta(seconds=time.time() - self._anchor)).astimezone(timezone.utc)


clock = Clock.from_env()


def now() -> datetime:
    """Return the system's current instant (UTC, aware)."""
    return clock.now()


def reset_from_env() -> None:
    """Re-read RDV_NOW (tests that change the environment call this)."""
    global clock
    clock = Clock.from_env()
