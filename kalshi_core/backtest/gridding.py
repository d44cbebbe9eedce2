"""The time grid and the vectorised grid builder behind `quotes_from_frame`.

`make_grid` gives the grid times. `grid_frame` puts a snapshot-shaped frame's rows on them,
every market at once, one block of bars at a time: it orders the rows by (market, time)
(`_Rows`), turns coverage spans into +1/-1 steps on the grid (`_Spans`) and fills the arrays
block by block (`_grid_rows`, freshness per block in `_fresh_block`), so its temporaries stay a
few MB whatever the grid. The freshness rule itself is described in `kalshi_core.backtest.quotes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from kalshi_core.backtest.quote_units import (
    BoolArray,
    FloatArray,
    IntArray,
    QuoteDataError,
    to_ns,
)

# Grid cells per block of bars: the gridding's temporaries stay a few MB, whatever the grid.
_BLOCK_CELLS: Final = 1 << 20
_SOURCES: Final = {
    "bid": "yes_bid",
    "ask": "yes_ask",
    "bid_size": "yes_bid_size",
    "ask_size": "yes_ask_size",
    "last": "last_price",
}


def make_grid(start: datetime, end: datetime, freq: str | pd.Timedelta) -> pd.DatetimeIndex:
    """Grid times ``start <= t < end`` on multiples of `freq` (UTC)."""
    for ts in (start, end):
        if ts.tzinfo is None:
            raise QuoteDataError("start and end must be timezone-aware")
    step = pd.Timedelta(freq)
    if step <= pd.Timedelta(0):
        raise QuoteDataError("freq must be positive")
    first = pd.Timestamp(start).tz_convert("UTC").ceil(step)
    grid = pd.date_range(first, pd.Timestamp(end).tz_convert("UTC"), freq=step, inclusive="left")
    if len(grid) == 0:
        raise QuoteDataError(f"no grid times in [{start}, {end}) at {step}")
    return grid.as_unit("ns")


def grid_frame(
    frame: pd.DataFrame,
    tickers: Sequence[str],
    grid_ns: IntArray,
    stale_limit: pd.Timedelta,
    capped: bool,
    known: Mapping[str, Sequence[tuple[datetime, datetime]]] | None,
) -> tuple[dict[str, FloatArray], FloatArray]:
    """The `_SOURCES` arrays (keyed bid, ask, bid_size, ask_size, last) and the mark of the
    `tickers`' rows of a snapshot-shaped `frame` on the grid; `known` holds the markets'
    coverage spans (see `quotes_from_frame`). Unsorted spans are refused before any gridding."""
    spans = _Spans.of(known, tickers, grid_ns)
    return _grid_rows(
        frame, _market_rows(frame, tickers), grid_ns, len(tickers), stale_limit, capped, spans
    )


@dataclass(frozen=True, slots=True)
class _Rows:
    """A frame's rows of the universe, by (market column, time), one per (market, time) (the
    last of repeated ones, as ``drop_duplicates(keep="last")``): `pos` their frame positions,
    `j` their market columns, `ns` their times."""

    pos: IntArray
    j: IntArray
    ns: IntArray


def _market_rows(frame: pd.DataFrame, tickers: Sequence[str]) -> _Rows:
    observed = pd.to_datetime(frame["observed_at"], utc=True)
    ns = observed.dt.as_unit("ns").astype("int64").to_numpy(dtype=np.int64)
    # Rows of tickers outside the universe (or without one) are ignored.
    codes, uniques = pd.factorize(frame["market_ticker"])
    col_of = {t: j for j, t in enumerate(tickers)}
    column = np.array([col_of.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    j_all = column[codes]  # code -1 (no ticker) takes the trailing -1
    pos = np.flatnonzero(j_all >= 0)
    j, ns = j_all[pos], ns[pos]
    if len(ns) > 1 and bool((ns[1:] >= ns[:-1]).all()):
        # Already in time order (storage reads are): a stable sort by market alone suffices,
        # a radix sort when the market column fits 16 bits.
        key = j.astype(np.int16) if len(tickers) <= np.iinfo(np.int16).max else j
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((ns, j))
    pos, j, ns = pos[order], j[order], ns[order]
    last = np.ones(len(ns), dtype=np.bool_)
    last[:-1] = (j[1:] != j[:-1]) | (ns[1:] != ns[:-1])
    return _Rows(
        pos=pos[last].astype(np.int64, copy=False),
        j=j[last].astype(np.int64, copy=False),
        ns=ns[last].astype(np.int64, copy=False),
    )


@dataclass(frozen=True, slots=True)
class _Spans:
    """Coverage spans as +1/-1 steps on the grid (bar, market column, step), sorted by bar:
    their running sum over the bars is 1 exactly where `_inside` holds. `has[j]`: market j
    has recorded coverage (else its freshness is the staleness limit)."""

    has: BoolArray
    bar: IntArray
    j: IntArray
    step: IntArray

    @classmethod
    def of(
        cls,
        known: Mapping[str, Sequence[tuple[datetime, datetime]]] | None,
        tickers: Sequence[str],
        grid_ns: IntArray,
    ) -> _Spans:
        has = np.zeros(len(tickers), dtype=np.bool_)
        owner: list[int] = []
        since: list[datetime] = []
        until: list[datetime] = []
        for j, ticker in enumerate(tickers):
            spans = None if known is None else known.get(ticker)
            if spans is None:
                continue
            has[j] = True
            owner += [j] * len(spans)
            since += [a for a, _ in spans]
            until += [b for _, b in spans]
        n_bars = len(grid_ns)
        sj = np.array(owner, dtype=np.int64)
        since_ns = _ns_array(since)
        lo = np.searchsorted(grid_ns, since_ns, side="left")
        hi = np.searchsorted(grid_ns, _ns_array(until), side="left")
        same = sj[1:] == sj[:-1]
        unsorted = same & (since_ns[1:] < since_ns[:-1])
        if unsorted.any():
            bad = sorted({tickers[int(x)] for x in sj[1:][unsorted]})
            raise QuoteDataError(f"coverage spans must be in start order: {', '.join(bad)}")
        # A span governs from its start until the next span of its market starts (the last
        # span starting at or before t decides, as `_inside` reads them); inside while t < until.
        next_lo = np.full(len(lo), n_bars, dtype=np.int64)
        next_lo[:-1][same] = lo[1:][same]
        stop = np.minimum(hi, next_lo)
        live = stop > lo
        bar = np.concatenate([lo[live], stop[live]])
        col = np.concatenate([sj[live], sj[live]])
        count = int(live.sum())
        step = np.concatenate([np.ones(count, np.int64), np.full(count, -1, np.int64)])
        order = np.argsort(bar, kind="stable")
        return cls(has=has, bar=bar[order], j=col[order], step=step[order])


def _ns_array(values: Sequence[datetime]) -> IntArray:
    """`to_ns` of every value (tz-aware or naive-as-UTC, like `pd.Timestamp(ts).value`)."""
    return np.fromiter((to_ns(v) for v in values), dtype=np.int64, count=len(values))


def _grid_rows(
    frame: pd.DataFrame,
    rows: _Rows,
    grid_ns: IntArray,
    n: int,
    stale_limit: pd.Timedelta,
    capped: bool,
    spans: _Spans,
) -> tuple[dict[str, FloatArray], FloatArray]:
    """The `_SOURCES` arrays and the mark of `rows` on the grid: every market at once, one
    block of bars at a time, each cell written once (no full-grid temporaries).

    A row at time ns is in force from bar ``searchsorted(grid, ns, "left")`` on; the last row of
    each (market, bar) is scattered there and forward-filled down the bars by a running max
    (row indices grow with time within a market). Every field is then one `np.take` from the
    rows' values behind a leading NaN, which pick 0 (no quote, or not fresh) reads."""
    n_bars = len(grid_ns)
    shape = (n_bars, n)
    if len(rows.ns) == 0:
        return {key: np.full(shape, np.nan) for key in _SOURCES}, np.full(shape, np.nan)
    out = {key: np.empty(shape) for key in _SOURCES}
    mark = np.empty(shape)
    bar = np.searchsorted(grid_ns, rows.ns, side="left")
    top = np.ones(len(bar), dtype=np.bool_)
    top[:-1] = (rows.j[1:] != rows.j[:-1]) | (bar[1:] != bar[:-1])
    top &= bar < n_bars
    ev_row = np.flatnonzero(top)
    by_bar = np.argsort(bar[ev_row], kind="stable")
    ev_row = ev_row[by_bar]
    ev_bar, ev_j = bar[ev_row], rows.j[ev_row]
    ev_pick = ev_row + 1  # picks are row + 1: 0 is "no row yet", reading the leading NaN

    def column(name: str) -> FloatArray:
        return cast(FloatArray, frame[name].take(rows.pos).to_numpy(dtype=np.float64))

    values: dict[str, FloatArray] = {}
    for key, col in _SOURCES.items():
        if key in ("bid_size", "ask_size"):
            if capped:
                # A snapshot without a size shows no depth: nothing can fill against it.
                values[key] = _after_none(np.nan_to_num(column(col), nan=0.0), np.nan)
        elif col in frame.columns:
            values[key] = _after_none(column(col), np.nan)
        else:
            out[key].fill(np.nan)  # e.g. no last_price column
    bids = values["bid"]
    stale_bar: IntArray | None = None
    if not spans.has.all():
        # Fresh while grid - ns <= limit: through the bars up to ns + limit (saturated).
        limit = np.minimum(np.iinfo(np.int64).max - rows.ns, stale_limit.value)
        stale_bar = _after_none(np.searchsorted(grid_ns, rows.ns + limit, side="right"), 0)

    step = max(1, _BLOCK_CELLS // max(n, 1))
    carry = np.zeros(n, dtype=np.intp)
    covered = np.zeros(n, dtype=np.int64)
    for b0 in range(0, n_bars, step):
        b1 = min(n_bars, b0 + step)
        pick = np.zeros((b1 - b0, n), dtype=np.intp)
        lo, hi = np.searchsorted(ev_bar, (b0, b1), side="left")
        pick[ev_bar[lo:hi] - b0, ev_j[lo:hi]] = ev_pick[lo:hi]
        np.maximum.accumulate(pick, axis=0, out=pick)
        np.maximum(pick, carry, out=pick)
        carry = pick[-1].copy()
        # mode="clip": every index is in range, and only that mode writes `out` unbuffered
        np.take(bids, pick, out=mark[b0:b1], mode="clip")
        fresh = _fresh_block(pick, b0, stale_bar, spans, covered)
        take = np.where(fresh, pick, 0)
        for key, vals in values.items():
            np.take(vals, take, out=out[key][b0:b1], mode="clip")
        if not capped:
            for key in ("bid_size", "ask_size"):
                out[key][b0:b1] = np.where(fresh, np.inf, np.nan)
    return out, mark


def _after_none(values: npt.NDArray[Any], none: float) -> npt.NDArray[Any]:
    """`values` behind one leading `none`: what pick 0 (no row) reads."""
    return np.concatenate((np.array([none], dtype=values.dtype), values))


def _fresh_block(
    pick: npt.NDArray[np.integer[Any]],
    b0: int,
    stale_bar: IntArray | None,
    spans: _Spans,
    covered: IntArray,
) -> BoolArray:
    """Which cells of a block of bars (starting at bar `b0`) hold a known quote; `covered`
    carries each market's running span count from block to block."""
    bars = np.arange(b0, b0 + len(pick), dtype=np.int64)[:, None]
    aged: BoolArray | None = None
    if stale_bar is not None:
        aged = np.take(stale_bar, pick, mode="clip") > bars  # no row reads 0: never fresh
    if not spans.has.any():
        assert aged is not None
        return aged
    steps = np.zeros(pick.shape, dtype=np.int64)
    lo, hi = np.searchsorted(spans.bar, (b0, b0 + len(pick)), side="left")
    np.add.at(steps, (spans.bar[lo:hi] - b0, spans.j[lo:hi]), spans.step[lo:hi])
    np.cumsum(steps, axis=0, out=steps)
    steps += covered
    covered[:] = steps[-1]
    inside = (steps > 0) & (pick > 0)
    return inside if aged is None else np.where(spans.has, inside, aged)
