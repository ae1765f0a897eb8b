"""Property tests: the interval algorithm equals a minute-by-minute reference."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.availability.domain.creneaux import cut_openings
from services.availability.domain.intervals import merge

M = 60  # seconds per minute
DAY = 24 * 60  # minutes


def reference(openings, blocked, step_min, now_min):
    """Minute by minute: the free minutes of each opening, in runs, cut from each run's start."""
    blocked_minutes = {m for s, e in blocked for m in range(s, e)}
    taken: set[int] = set()
    slots = []
    rounded_now = -(-now_min // 5) * 5
    for start, end, key in sorted(openings, key=lambda o: (o[0], o[1], str(o[2]))):
        free = [m for m in range(start, end) if m not in blocked_minutes and m not in taken]
        runs, run = [], []
        for m in free:
            if run and m != run[-1] + 1:
                runs.append(run)
                run = []
            run.append(m)
        if run:
            runs.append(run)
        for run in runs:
            a, b = run[0], run[-1] + 1
            if a < now_min:
                a = rounded_now
            t = a
            while t + step_min <= b:
                slots.append((t, key))
                taken.update(range(t, t + step_min))
                t += step_min
    return slots


interval = st.tuples(st.integers(0, 3 * DAY), st.integers(1, 8 * 60)).map(lambda t: (t[0], t[0] + t[1]))
openings = st.lists(st.tuples(st.integers(0, 3 * DAY), st.integers(5, 10 * 60), st.sampled_from("ab"))
                    .map(lambda t: (t[0], t[0] + t[1], t[2])), max_size=6)


def run(opens, blocked, step, now):
    merged = merge([(s * M, e * M) for s, e in blocked])
    return [(s // M, k) for s, k in cut_openings([(s * M, e * M, k) for s, e, k in opens], merged, step * M,
                                                 now * M)]


@settings(max_examples=300, deadline=None)
@given(opens=openings, blocked=st.lists(interval, max_size=8), step=st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90]),
       now=st.integers(0, 3 * DAY))
def test_equals_the_minute_by_minute_reference(opens, blocked, step, now):
    assert sorted(run(opens, blocked, step, now)) == sorted(reference(opens, blocked, step, now))


@settings(max_examples=300, deadline=None)
@given(opens=openings, blocked=st.lists(interval, max_size=8), step=st.sampled_from([5, 15, 30, 45, 60]),
       now=st.integers(0, 3 * DAY))
def test_slots_never_overlap_busy_or_each_other_and_lie_inside_an_opening(opens, blocked, step, now):
    slots = sorted(s for s, _ in run(opens, blocked, step, now))
    for s in slots:
        assert all(s + step <= b_s or b_e <= s for b_s, b_e in blocked)
        assert any(o_s <= s and s + step <= o_e for o_s, o_e, _ in opens)
        assert s >= now
    for a, b in zip(slots, slots[1:]):
        assert a + step <= b
