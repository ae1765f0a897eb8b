"""Half-open intervals of instants `[start, end)` as integer epoch seconds.

Integers rather than datetimes: a search over 100 agents handles thousands of intervals,
and integer arithmetic keeps it within a few milliseconds.
"""
from __future__ import annotations

from typing import Iterable, Sequence

Interval = tuple[int, int]

ROUNDING_SECONDS = 5 * 60


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Return the union of intervals, sorted, with overlapping or touching ones joined."""
    out: list[list[int]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1][1] = end
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def subtract(interval: Interval, blocked: Sequence[Interval]) -> list[Interval]:
    """Return what remains of `interval` once the merged, sorted `blocked` intervals are removed."""
    start, end = interval
    free: list[Interval] = []
    cursor = start
    for b_start, b_end in blocked:
        if b_end <= cursor:
            continue
        if b_start >= end:
            break
        if b_start > cursor:
            free.append((cursor, b_start))
        cursor = max(cursor, b_end)
        if cursor >= end:
            break
    if cursor < end:
        free.append((cursor, end))
    return free


def overlaps(a: Interval, b: Interval) -> bool:
    """Touching intervals do not overlap."""
    return a[0] < b[1] and b[0] < a[1]


def ceil_to(instant: float, step: int = ROUNDING_SECONDS) -> int:
    """Round an instant (epoch seconds) up to the next multiple of `step` (unchanged if on one)."""
    whole = int(instant)
    if whole == instant and whole % step == 0:
        return whole
    return (whole // step + 1) * step


def cut(free: Interval, step: int, now: float) -> list[int]:
    """Cut a free interval into consecutive slots of `step` seconds from its start.

    The remainder shorter than a slot is dropped. An interval that began before `now`
    is cut from `now` rounded up to the next 5 minutes instead.
    """
    start, end = free
    if start < now:
        start = ceil_to(now)
    return list(range(start, end - step + 1, step)) if end - start >= step else []
