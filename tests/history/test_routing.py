"""Contract: the routing arithmetic of the history backfill (`kalshi_core.history.routing`):
trades windows are clipped to a market's trading time and split at the trades cutoff with no
gap and no overlap; candle counts match what the simulator serves (the batch packer relies on
them to stay under Kalshi's 10,000 candles per request); packed batches respect both limits."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalshi_core.history.routing import (
    LATE_PRINT_S,
    Cutoff,
    Family,
    candle_count,
    days_between,
    max_days_per_request,
    pack_batches,
    trade_segments,
)
from kalshi_core.kalshi.responses import HistoricalCutoff

D = 86_400
T0 = 1_790_000_000 - 1_790_000_000 % D


def test_cutoff_from_wire_falls_back_to_market_cutoff() -> None:
    when = datetime(2026, 10, 1, 4, tzinfo=UTC)
    c = Cutoff.from_wire(HistoricalCutoff(when, None, None))
    assert c.markets_ts == c.trades_ts == int(when.timestamp())


def test_segments_split_at_trades_cutoff() -> None:
    cut = Cutoff(markets_ts=T0, trades_ts=T0 + 3600)
    segs = trade_segments(T0, T0 + D, None, None, cut)
    assert [(s.family, s.lo, s.hi) for s in segs] == [
        (Family.HISTORICAL, T0, T0 + 3600),
        (Family.LIVE, T0 + 3600, T0 + D),
    ]


def test_live_market_is_asked_of_the_live_family_for_the_whole_window() -> None:
    cut = Cutoff(markets_ts=T0, trades_ts=T0 + 3600)
    segs = trade_segments(T0, T0 + D, None, None, cut, live_market=True)
    assert [(s.family, s.lo, s.hi) for s in segs] == [
        (Family.HISTORICAL, T0, T0 + 3600),
        (Family.LIVE, T0, T0 + D),
    ]
    # after the cutoff there is nothing historical to ask
    segs = trade_segments(T0 + 2 * D, T0 + 3 * D, None, None, cut, live_market=True)
    assert [(s.family, s.lo, s.hi) for s in segs] == [(Family.LIVE, T0 + 2 * D, T0 + 3 * D)]


def test_segments_clip_to_trading_time() -> None:
    cut = Cutoff(T0 + 2 * D, T0 + 2 * D)
    # closed, late prints included, before the window: nothing to ask
    assert trade_segments(T0 + D, T0 + 2 * D, T0 - D, T0 + D - LATE_PRINT_S, cut) == []
    # trades print after the close (real tapes: up to 49 s after an early close)
    segs = trade_segments(T0, T0 + D, T0 + 100, T0 + 200, cut)
    assert [(s.family, s.lo, s.hi) for s in segs] == [
        (Family.HISTORICAL, T0 + 100, T0 + 200 + LATE_PRINT_S)
    ]
    assert LATE_PRINT_S > 49


@given(
    start=st.integers(0, 10 * D),
    length=st.integers(1, 3 * D),
    open_=st.none() | st.integers(0, 14 * D),
    life=st.integers(0, 5 * D),
    cut=st.integers(0, 14 * D),
)
def test_segments_cover_the_clipped_window_exactly(
    start: int, length: int, open_: int | None, life: int, cut: int
) -> None:
    end = start + length
    close = None if open_ is None else open_ + life
    segs = trade_segments(start, end, open_, close, Cutoff(cut, cut))
    lo = start if open_ is None else max(start, open_)
    hi = end if close is None else min(end, close + LATE_PRINT_S)
    covered = [(s.lo, s.hi) for s in segs]
    if hi <= lo:
        assert covered == []
        return
    assert covered[0][0] == lo
    assert covered[-1][1] == hi
    for (_a, b), (c, _d) in itertools.pairwise(covered):
        assert b == c  # contiguous: no gap, no overlap
    for s in segs:
        assert s.lo < s.hi
        assert (s.family is Family.HISTORICAL) == (s.hi <= cut)


def test_candle_count_full_day_and_partial() -> None:
    assert candle_count(T0, T0 + D, None, None, 1) == 1440
    assert candle_count(T0, T0 + D, T0 - D, T0 + 2 * D, 60) == 24
    # daily candle ending at T0 + D belongs to the next day's window
    assert candle_count(T0, T0 + D, T0 - D, T0 + 2 * D, 1440) == 1
    # opens at 10:00:30 -> first 1-minute candle ends 10:01, closes 10:30:30 -> last ends 10:31
    assert candle_count(T0, T0 + D, T0 + 36_030, T0 + 37_830, 1) == 31
    assert candle_count(T0, T0 + D, T0 + 2 * D, T0 + 3 * D, 1) == 0


def test_pack_batches_respects_limits() -> None:
    counts = [(f"M{i:03d}", 1440) for i in range(20)] + [(f"S{i:03d}", 24) for i in range(250)]
    counts.append(("EMPTY", 0))
    jobs = pack_batches(counts)
    seen = [t for j in jobs for t in j.tickers]
    assert sorted(seen) == sorted(t for t, n in counts if n)
    size = dict(counts)
    for j in jobs:
        assert len(j.tickers) <= 100
        assert sum(size[t] for t in j.tickers) == j.estimated <= 10_000
    # 20 full days of 1-minute candles need at least 3 requests (6 per request)
    assert len(jobs) <= 4
    with pytest.raises(ValueError, match="exceed"):
        pack_batches([("BIG", 10_001)])


def test_days_and_request_sizes() -> None:
    assert days_between(date(2026, 1, 30), date(2026, 2, 2)) == [
        date(2026, 1, 30),
        date(2026, 1, 31),
        date(2026, 2, 1),
    ]
    assert max_days_per_request(1) == 3
    assert max_days_per_request(60) == 208
