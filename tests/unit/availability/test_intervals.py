from services.availability.domain.intervals import ceil_to, cut, merge, overlaps, subtract


def test_merge_joins_overlapping_and_touching_intervals():
    assert merge([(10, 20), (0, 5), (5, 8), (15, 30), (40, 40)]) == [(0, 8), (10, 30)]


def test_subtract_leaves_the_gaps():
    assert subtract((0, 100), [(10, 20), (30, 40), (90, 200)]) == [(0, 10), (20, 30), (40, 90)]
    assert subtract((0, 100), [(-5, 200)]) == []
    assert subtract((0, 100), []) == [(0, 100)]


def test_touching_intervals_do_not_overlap():
    assert not overlaps((0, 10), (10, 20))
    assert overlaps((0, 11), (10, 20))


def test_ceil_to_five_minutes():
    assert ceil_to(600) == 600
    assert ceil_to(601) == 900
    assert ceil_to(600.5) == 900
    assert ceil_to(899) == 900


def test_cut_from_start_drops_the_remainder():
    assert cut((0, 100 * 60), 30 * 60, now=0) == [0, 1800, 3600]


def test_cut_an_interval_begun_before_now_starts_at_now_rounded_up():
    # now = 00:07:10 -> first slot at 00:10
    assert cut((0, 3600), 20 * 60, now=7 * 60 + 10) == [600, 1800]
    assert cut((0, 3600), 20 * 60, now=3000) == []
