"""Contract: the poll grid puts ticks on epoch multiples, windows tile a UTC day, every tick
belongs to exactly one window, and the sensor's due windows hand over without a gap."""

from datetime import UTC, datetime, timedelta

import pytest

from kalshi_pipeline.lib.poll_grid import GridConfigError, PollGrid, partition_key, run_key


def test_ticks_on_wall_clock_grid() -> None:
    g = PollGrid("watchlist", 5, 300)
    start = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
    ticks = g.window_ticks(start)
    assert len(ticks) == 60
    assert ticks[0] == start
    assert ticks[-1] == start + timedelta(seconds=295)
    assert all(int(t.timestamp()) % 5 == 0 for t in ticks)


def test_ticks_from_odd_start_skip_to_next_grid_point() -> None:
    g = PollGrid("watchlist", 5, 300)
    start = datetime(2026, 11, 27, 10, 0, 2, 500, tzinfo=UTC)
    assert g.ticks(start, start + timedelta(seconds=10))[0] == datetime(
        2026, 11, 27, 10, 0, 5, tzinfo=UTC
    )
    exact = datetime(2026, 11, 27, 10, 0, 5, 1, tzinfo=UTC)
    assert g.ticks(exact, exact + timedelta(seconds=6))[0].second == 10


def test_windows_tile_a_day_and_each_tick_has_one_window() -> None:
    g = PollGrid("watchlist", 5, 300)
    day = datetime(2026, 11, 27, tzinfo=UTC)
    windows = [day + timedelta(seconds=300 * i) for i in range(288)]
    all_ticks = [t for w in windows for t in g.window_ticks(w)]
    assert len(all_ticks) == 17_280 == len(set(all_ticks))
    assert all(g.window_start(t) in windows for t in all_ticks[::97])


@pytest.mark.parametrize(("interval", "window"), [(5, 302), (7, 300), (5, 7000)])
def test_bad_grid_rejected(interval: int, window: int) -> None:
    with pytest.raises(GridConfigError):
        PollGrid("watchlist", interval, window)


def test_windows_due_includes_next_within_lead() -> None:
    g = PollGrid("watchlist", 5, 300)
    w = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert g.windows_due(w + timedelta(seconds=100), lead_s=45) == [w]
    due = g.windows_due(w + timedelta(seconds=260), lead_s=45)
    assert due == [w, w + timedelta(seconds=300)]


def test_keys_are_deterministic_and_utc() -> None:
    t = datetime(2026, 11, 27, 23, 55, tzinfo=UTC)
    assert run_key("watchlist", t) == "watchlist:2026-11-27T23:55:00Z"
    assert partition_key(t) == "2026-11-27"
    with pytest.raises(ValueError, match="naive"):
        partition_key(datetime(2026, 11, 27))
