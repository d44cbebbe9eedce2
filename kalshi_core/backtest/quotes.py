"""Quote arrays: the time x market grid every strategy and simulator reads.

A snapshot (or candle) frame becomes numpy arrays on a fixed time grid. The last row observed
at ``observed_at <= t`` is the quote at grid time ``t`` while it is known: for snapshots with
recorded coverage, while ``t`` lies in a span in which the market's tier kept observing it
(change-only storage: no new row means unchanged); otherwise (candles, data without coverage)
while the row is younger than the staleness limit. Unknown (or missing, or inside a stale
interval) it is NaN and nothing fills on it. ``mark`` is the last observed bid without either
limit: it values open positions, it never fills an order.

A trade tape (`quotes_from_trades`) has no book: a print is not a quote. Its arrays come in two
views: the *fill* view (``fill_*``) knows an ask only at bars holding a YES-taker print and a bid
only at bars holding a NO-taker print, at that print's price and size, nothing carried forward;
the *signal* view (``bid``/``ask``/``last``) is the last print, which is what a trader watching
the tape sees. For book data the two views are the same arrays. The rule is written out in
docs/STRATEGIES.md ("Fill rules").

Per-market metadata (result, close and settlement times, fee schedule) is carried alongside
and turned into bar indices once, by `QuoteArrays`, so the simulators only compare integers.

This module is the front door: the snapshot entry point (`quotes_from_frame`) is defined here,
and every public name of the quote modules is re-exported from it. The containers
(`QuoteArrays`, `MarketMeta`) are in `kalshi_core.backtest.quote_arrays`, the grid and its
builder in `kalshi_core.backtest.gridding`, candles and trade tapes in
`kalshi_core.backtest.candles_and_trades`, unit conversions and `QuoteDataError` in
`kalshi_core.backtest.quote_units`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from kalshi_core.backtest.candles_and_trades import (
    CANDLE_TIME_COLUMNS,
    TRADE_COLUMNS,
    TRADE_PRICE_CANDLES,
    candle_frame_to_snapshot_frame,
    quotes_from_trades,
)
from kalshi_core.backtest.gridding import grid_frame, make_grid
from kalshi_core.backtest.quote_arrays import DataSource, MarketMeta, QuoteArrays
from kalshi_core.backtest.quote_units import (
    BoolArray,
    FloatArray,
    IntArray,
    QuoteDataError,
    to_ns,
)

__all__ = [
    "CANDLE_TIME_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "TRADE_COLUMNS",
    "TRADE_PRICE_CANDLES",
    "BoolArray",
    "DataSource",
    "FloatArray",
    "IntArray",
    "MarketMeta",
    "QuoteArrays",
    "QuoteDataError",
    "candle_frame_to_snapshot_frame",
    "make_grid",
    "quotes_from_frame",
    "quotes_from_trades",
]

SNAPSHOT_COLUMNS = ("market_ticker", "observed_at", "yes_bid", "yes_ask")


def quotes_from_frame(
    frame: pd.DataFrame,
    meta: Sequence[MarketMeta],
    *,
    start: datetime,
    end: datetime,
    freq: str | pd.Timedelta = "1min",
    staleness: str | pd.Timedelta = "5min",
    data_source: DataSource = "snapshots",
    uncapped_sizes: bool = False,
    stale_intervals: Sequence[tuple[datetime, datetime]] = (),
    known: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
    max_wait_bars: int = 0,
) -> QuoteArrays:
    """Grid a snapshot-shaped frame (see `SNAPSHOT_COLUMNS`; sizes and last_price optional).

    Markets are the `meta` tickers, in that order; frame rows of other tickers are ignored.
    Missing size columns (or `uncapped_sizes`) mean the top of book is unknown and fills are not
    capped by it: the result records ``sizes_capped=False``. `stale_intervals` (e.g. ingestion
    coverage gaps) blank every market's quote inside ``[gap_start, gap_end]``.

    Freshness: for a market in `known` (its coverage spans, `[since, until)`), the last row at or
    before t is the quote at t exactly when t lies in a span: storage is change-only, so while
    the tier kept observing the market, no new row means "unchanged", however long ago the row
    was written. A market without recorded coverage (candles, data written without polls) falls
    back to the `staleness` limit on the row's age. `max_wait_bars`: see `QuoteArrays`.
    """
    missing = [c for c in SNAPSHOT_COLUMNS if c not in frame.columns]
    if missing:
        raise QuoteDataError(f"quote frame lacks columns {missing}")
    grid = make_grid(start, end, freq)
    stale_limit = pd.Timedelta(staleness)
    if stale_limit < pd.Timedelta(0):
        raise QuoteDataError("staleness must be >= 0")
    has_sizes = {"yes_bid_size", "yes_ask_size"} <= set(frame.columns)
    capped = has_sizes and not uncapped_sizes
    tickers = tuple(m.ticker for m in meta)
    if len(set(tickers)) != len(tickers):
        raise QuoteDataError("duplicate tickers in meta")
    grid_ns = np.asarray(grid.asi8, dtype=np.int64)
    out, mark = grid_frame(frame, tickers, grid_ns, stale_limit, capped, known)
    for gap_start, gap_end in stale_intervals:
        lo = np.searchsorted(grid_ns, to_ns(gap_start), side="left")
        hi = np.searchsorted(grid_ns, to_ns(gap_end), side="right")
        for arr in out.values():
            arr[lo:hi, :] = np.nan
    return QuoteArrays(
        index=grid,
        tickers=tickers,
        bid=out["bid"],
        ask=out["ask"],
        bid_size=out["bid_size"],
        ask_size=out["ask_size"],
        last=out["last"],
        mark=mark,
        meta=tuple(meta),
        data_source=data_source,
        staleness=stale_limit,
        sizes_capped=capped,
        max_wait_bars=max_wait_bars,
    )
