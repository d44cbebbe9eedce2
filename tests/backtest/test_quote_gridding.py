"""Contract: the vectorized gridding of `quotes_from_frame` (every market at once, in blocks of
bars) gives exactly the arrays of the per-market reference below (the implementation it
replaced, kept verbatim): same floats, NaN where they were NaN, same integer units. Frames are
drawn with rows in and out of time order, repeated (market, time) keys, rows before the grid and
after it, tickers outside the universe, missing sizes and columns, with or without coverage
spans (overlapping, touching, sharing a start, empty) and blanked intervals; the block and chunk
sizes are drawn too, so carries across blocks are exercised. Unsorted spans are refused."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtest.builders import T0, at
from kalshi_core.backtest import gridding, quote_units
from kalshi_core.backtest.fees import COUNT_SCALE, PRICE_SCALE
from kalshi_core.backtest.kernels import STALE, UNCAPPED
from kalshi_core.backtest.quotes import MarketMeta, QuoteDataError, make_grid, quotes_from_frame

FIELDS = ("bid", "ask", "bid_size", "ask_size", "last", "mark")


def _ns(ts: datetime) -> int:
    return int(pd.Timestamp(ts).as_unit("ns").value)


def _inside(grid_ns: np.ndarray, spans: Sequence[tuple[datetime, datetime]]) -> np.ndarray:
    if not spans:
        return np.zeros(len(grid_ns), dtype=np.bool_)
    since = np.array([_ns(a) for a, _ in spans], dtype=np.int64)
    until = np.array([_ns(b) for _, b in spans], dtype=np.int64)
    k = np.searchsorted(since, grid_ns, side="right") - 1
    return (k >= 0) & (grid_ns < until[np.maximum(k, 0)])


def reference(
    frame: pd.DataFrame,
    tickers: Sequence[str],
    *,
    start: datetime,
    end: datetime,
    staleness: str,
    uncapped_sizes: bool,
    stale_intervals: Sequence[tuple[datetime, datetime]],
    known: Mapping[str, Sequence[tuple[datetime, datetime]]] | None,
) -> dict[str, np.ndarray]:
    """The per-market gridding `quotes_from_frame` used before it was vectorized."""
    grid = make_grid(start, end, "1min")
    stale_limit = pd.Timedelta(staleness)
    has_sizes = {"yes_bid_size", "yes_ask_size"} <= set(frame.columns)
    capped = has_sizes and not uncapped_sizes
    shape = (len(grid), len(tickers))
    out = {k: np.full(shape, np.nan) for k in ("bid", "ask", "bid_size", "ask_size", "last")}
    mark = np.full(shape, np.nan)
    grid_ns = np.asarray(grid.asi8, dtype=np.int64)
    observed = pd.to_datetime(frame["observed_at"], utc=True)
    df = frame.assign(_ns=observed.dt.as_unit("ns").astype("int64"))
    df = df.sort_values(["market_ticker", "_ns"], kind="stable")
    df = df.drop_duplicates(["market_ticker", "_ns"], keep="last")
    col_of = {t: j for j, t in enumerate(tickers)}
    sources = {
        "bid": "yes_bid",
        "ask": "yes_ask",
        "bid_size": "yes_bid_size",
        "ask_size": "yes_ask_size",
        "last": "last_price",
    }
    for ticker, rows in df.groupby("market_ticker", sort=False):
        j = col_of.get(str(ticker))
        if j is None:
            continue
        times = rows["_ns"].to_numpy(dtype=np.int64)
        pick = np.searchsorted(times, grid_ns, side="right") - 1
        seen = pick >= 0
        safe = np.where(seen, pick, 0)
        spans = None if known is None else known.get(str(ticker))
        if spans is None:
            age = grid_ns - times[safe]
            fresh = seen & (age <= stale_limit.value)
        else:
            fresh = seen & _inside(grid_ns, spans)
        for key, col in sources.items():
            if key in ("bid_size", "ask_size") and not capped:
                out[key][:, j] = np.where(fresh, np.inf, np.nan)
                continue
            if col not in rows.columns:
                continue
            vals = rows[col].to_numpy(dtype=np.float64)
            if key in ("bid_size", "ask_size"):
                vals = np.nan_to_num(vals, nan=0.0)
            out[key][:, j] = np.where(fresh, vals[safe], np.nan)
        bids = rows["yes_bid"].to_numpy(dtype=np.float64)
        mark[:, j] = np.where(seen, bids[safe], np.nan)
    for gap_start, gap_end in stale_intervals:
        lo = np.searchsorted(grid_ns, _ns(gap_start), side="left")
        hi = np.searchsorted(grid_ns, _ns(gap_end), side="right")
        for arr in out.values():
            arr[lo:hi, :] = np.nan
    return {**out, "mark": mark}


def price_units(arr: np.ndarray) -> np.ndarray:
    finite = np.isfinite(arr)
    units = np.rint(np.where(finite, arr * PRICE_SCALE, 0.0))
    return np.where(finite, units, STALE).astype(np.int32)


def size_units(arr: np.ndarray) -> np.ndarray:
    finite = np.isfinite(arr)
    units = np.rint(np.where(finite, arr * COUNT_SCALE, 0.0))
    out = np.where(finite, units, STALE).astype(np.int64)
    out[np.isposinf(arr)] = UNCAPPED
    return out


UNIVERSE = ("A", "B", "C", "D")
minutes = st.integers(-12, 48).map(lambda q: q / 4)  # quarter minutes: on and between bars
cents = st.integers(0, 100).map(lambda c: c / 100)
sizes = st.one_of(st.integers(0, 500).map(lambda c: c / 10), st.just(np.nan))


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(
        st.lists(
            st.tuples(st.sampled_from((*UNIVERSE, "Z")), minutes, cents, cents, sizes, sizes),
            max_size=40,
        )
    )
    rows += draw(st.lists(st.sampled_from(rows), max_size=4)) if rows else []  # repeats
    if draw(st.booleans()):
        rows.sort(key=lambda r: r[1])  # time order, as storage returns them
    frame = pd.DataFrame(
        {
            "market_ticker": [r[0] for r in rows],
            "observed_at": [at(r[1]) for r in rows],
            "yes_bid": [r[2] for r in rows],
            "yes_ask": [r[3] for r in rows],
            "last_price": [r[3] for r in rows],
            "yes_bid_size": [r[4] for r in rows],
            "yes_ask_size": [r[5] for r in rows],
        }
    )
    drop = draw(st.sampled_from(((), ("last_price",), ("yes_bid_size",), ("yes_ask_size",))))
    return frame.drop(columns=list(drop))


@st.composite
def coverage(draw: st.DrawFn) -> dict[str, list[tuple[datetime, datetime]]] | None:
    if draw(st.booleans()):
        return None
    known: dict[str, list[tuple[datetime, datetime]]] = {}
    for ticker in draw(st.lists(st.sampled_from(UNIVERSE), unique=True)):
        starts = sorted(draw(st.lists(minutes, max_size=4)))
        known[ticker] = [(at(s), at(s + draw(st.integers(0, 40)) / 4)) for s in starts]
    return known


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frame=frames(),
    n=st.integers(1, 4),
    bars=st.integers(1, 12),
    offset=st.integers(0, 3).map(lambda q: q / 4),
    staleness=st.sampled_from(("0min", "30s", "1min", "3min", "1h")),
    uncapped=st.booleans(),
    known=coverage(),
    gaps=st.lists(st.tuples(minutes, st.integers(0, 8)), max_size=2),
    block=st.integers(1, 9),
    chunk=st.integers(1, 9),
)
def test_vectorized_gridding_matches_the_per_market_reference(
    frame: pd.DataFrame,
    n: int,
    bars: int,
    offset: float,
    staleness: str,
    uncapped: bool,
    known: dict[str, list[tuple[datetime, datetime]]] | None,
    gaps: list[tuple[float, int]],
    block: int,
    chunk: int,
) -> None:
    tickers = UNIVERSE[:n]
    start, end = at(offset), at(offset + bars)
    intervals = [(at(a), at(a + b / 4)) for a, b in gaps]
    kwargs: dict[str, Any] = {
        "start": start,
        "end": end,
        "staleness": staleness,
        "uncapped_sizes": uncapped,
        "stale_intervals": intervals,
        "known": known,
    }
    expected = reference(frame, tickers, **kwargs)
    with (
        mock.patch.object(gridding, "_BLOCK_CELLS", block),
        mock.patch.object(quote_units, "_UNIT_CHUNK", chunk),
    ):
        got = quotes_from_frame(frame, [MarketMeta(ticker=t) for t in tickers], **kwargs)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(got, name), expected[name], err_msg=name)
    for name in ("bid", "ask", "mark"):
        np.testing.assert_array_equal(getattr(got, f"{name}_u"), price_units(expected[name]))
    for name in ("bid_size", "ask_size"):
        np.testing.assert_array_equal(getattr(got, f"{name}_u"), size_units(expected[name]))


def test_rows_far_apart_are_carried_across_many_blocks() -> None:
    frame = pd.DataFrame(
        {
            "market_ticker": ["A", "B", "A"],
            "observed_at": [at(-3), at(0.5), at(40)],
            "yes_bid": [0.25, 0.5, 0.75],
            "yes_ask": [0.3, 0.6, 0.8],
        }
    )
    with mock.patch.object(gridding, "_BLOCK_CELLS", 2):  # one bar per block for two markets
        q = quotes_from_frame(
            frame,
            [MarketMeta(ticker="A"), MarketMeta(ticker="B")],
            start=T0,
            end=at(50),
            staleness="2h",
        )
    np.testing.assert_array_equal(q.mark[:, 0], [0.25] * 40 + [0.75] * 10)
    np.testing.assert_array_equal(q.bid[:, 1], [np.nan] + [0.5] * 49)
    assert not q.sizes_capped
    assert (q.ask_size[1:, 1] == np.inf).all()


def test_coverage_spans_out_of_start_order_are_refused() -> None:
    frame = pd.DataFrame(
        {"market_ticker": ["A"], "observed_at": [T0], "yes_bid": [0.5], "yes_ask": [0.6]}
    )
    known = {"A": [(at(5), at(6)), (at(1), at(2))]}
    with pytest.raises(QuoteDataError, match="in start order: A"):
        quotes_from_frame(frame, [MarketMeta(ticker="A")], start=T0, end=at(10), known=known)
