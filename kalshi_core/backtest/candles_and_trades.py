"""Quotes from sources that are not order-book snapshots: candles and public trade tapes.

A candle frame (bid/ask closes per period) maps onto the snapshot shape and is then gridded like
snapshots (`candle_frame_to_snapshot_frame`); candles of trade prices alone are refused.

A trade tape (`quotes_from_trades`) has no book: a print is not a quote. Its arrays come in two
views: the *fill* view (``fill_*``) knows an ask only at bars holding a YES-taker print and a bid
only at bars holding a NO-taker print, at that print's price and size, nothing carried forward;
the *signal* view (``bid``/``ask``/``last``) is the last print, which is what a trader watching
the tape sees. For book data the two views are the same arrays. The rule is written out in
docs/STRATEGIES.md ("Fill rules").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from kalshi_core.backtest.gridding import make_grid
from kalshi_core.backtest.quote_arrays import MarketMeta, QuoteArrays
from kalshi_core.backtest.quote_units import QuoteDataError

CANDLE_TIME_COLUMNS = ("end_time", "end_period_ts", "period_end", "observed_at")


TRADE_PRICE_CANDLES = (
    "candle frame without yes_bid_close/yes_ask_close on every row: candles of trade prices "
    "say nothing about the bid or ask (a print is not a quote, and a candle does not say which "
    "side each print hit), so they cannot fill orders. Load the trade tape instead "
    "(load_quotes(source='trades') / quotes_from_trades): orders then fill only at real prints, "
    "buys at YES-taker prints and sells at NO-taker prints (docs/STRATEGIES.md, 'Fill rules')"
)


def candle_frame_to_snapshot_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Map a candle frame (bid/ask closes per period, stamped by the period's end) onto the
    snapshot shape: the close of a period is the quote known at its end time.

    Every candle must carry both closes. Candles of trade prices only (Kalshi's ``price_*``
    OHLC, or a bare open/high/low/close of prints) are refused, pointing to the trade tape."""
    ticker_col = "market_ticker" if "market_ticker" in frame.columns else "ticker"
    closes = ["yes_bid_close", "yes_ask_close"]
    if not set(closes) <= set(frame.columns) or frame[closes].isna().any(axis=None):
        raise QuoteDataError(TRADE_PRICE_CANDLES)
    time_col = next((c for c in CANDLE_TIME_COLUMNS if c in frame.columns), None)
    if time_col is None or ticker_col not in frame.columns:
        raise QuoteDataError(
            "candle frame needs a ticker column, an end-time column "
            f"({', '.join(CANDLE_TIME_COLUMNS)}) and yes_bid_close/yes_ask_close"
        )
    out = pd.DataFrame(
        {
            "market_ticker": frame[ticker_col].astype(str),
            "observed_at": pd.to_datetime(frame[time_col], utc=True),
            "yes_bid": frame["yes_bid_close"].astype(float),
            "yes_ask": frame["yes_ask_close"].astype(float),
        }
    )
    if "price_close" in frame.columns:
        out["last_price"] = frame["price_close"].astype(float)
    return out


TRADE_COLUMNS = ("market_ticker", "created_time", "yes_price", "count", "taker_side")


def quotes_from_trades(
    frame: pd.DataFrame,
    meta: Sequence[MarketMeta],
    *,
    start: datetime,
    end: datetime,
    freq: str | pd.Timedelta = "1min",
    staleness: str | pd.Timedelta = "5min",
    max_wait_bars: int = 0,
) -> QuoteArrays:
    """Grid a public trade tape (see `TRADE_COLUMNS`; ``is_block_trade`` optional) for the
    trade-only fill rule. Prices are YES prices in dollars, counts contracts.

    Bar t holds the prints with ``t - step < created_time <= t`` (what is known at grid time
    t, as for quotes). Block trades are negotiated off the book and are dropped; a print
    without a taker side shows no side of the book and never fills.

    Fill view, nothing carried forward from one bar to the next:

    - ``fill_ask`` at t: the bar's first YES-taker print (a buyer of YES took the ask, so the
      ask was there). Prints sharing that first timestamp are one sweep whose order within it
      is not recorded, so the highest of their prices is taken (the worst for a buyer), and
      ``fill_ask_size`` is the summed count printed at that price at that timestamp;
    - ``fill_bid`` at t: the same with the bar's first NO-taker print (a seller of YES hit the
      bid): the lowest price at its timestamp, the count printed there;
    - elsewhere NaN: no order fills at a bar without a print on its side.

    Signal view: ``bid`` = ``ask`` = ``last`` = the last print at or before t (the last in
    tape order at equal times) while no older than `staleness`, so ``mid()`` is the last
    traded price. ``mark`` is the last NO-taker print at or before t however old (the lowest
    at its timestamp): positions are valued at the last price someone sold at, never filled
    there. `max_wait_bars` is the order lifetime the simulators honour (`QuoteArrays`).
    """
    missing = [c for c in TRADE_COLUMNS if c not in frame.columns]
    if missing:
        raise QuoteDataError(f"trade frame lacks columns {missing}")
    grid = make_grid(start, end, freq)
    stale_limit = pd.Timedelta(staleness)
    if stale_limit < pd.Timedelta(0):
        raise QuoteDataError("staleness must be >= 0")
    tickers = tuple(m.ticker for m in meta)
    if len(set(tickers)) != len(tickers):
        raise QuoteDataError("duplicate tickers in meta")
    shape = (len(grid), len(tickers))
    fill = {k: np.full(shape, np.nan) for k in ("bid", "ask", "bid_size", "ask_size")}
    last = np.full(shape, np.nan)
    mark = np.full(shape, np.nan)
    grid_ns = np.asarray(grid.asi8, dtype=np.int64)
    first_open = grid_ns[0] - pd.Timedelta(freq).value  # bar 0 holds prints after this
    df = pd.DataFrame(
        {
            "market_ticker": frame["market_ticker"].astype(str),
            "ns": pd.to_datetime(frame["created_time"], utc=True).dt.as_unit("ns").astype("int64"),
            "price": frame["yes_price"].astype(np.float64),
            "count": frame["count"].astype(np.float64),
            "side": frame["taker_side"].where(frame["taker_side"].notna(), None),
        }
    )
    if "is_block_trade" in frame.columns:
        df = df[~frame["is_block_trade"].fillna(False).astype(bool).to_numpy()]
    df = df.sort_values(["market_ticker", "ns"], kind="stable")
    col_of = {t: j for j, t in enumerate(tickers)}
    for ticker, rows in df.groupby("market_ticker", sort=False):
        j = col_of.get(str(ticker))
        if j is None:
            continue
        times = rows["ns"].to_numpy(dtype=np.int64)
        prices = rows["price"].to_numpy(dtype=np.float64)
        pick = np.searchsorted(times, grid_ns, side="right") - 1
        seen = pick >= 0
        safe = np.where(seen, pick, 0)
        fresh = seen & (grid_ns - times[safe] <= stale_limit.value)
        last[:, j] = np.where(fresh, prices[safe], np.nan)
        sold = rows[rows["side"] == "no"].groupby("ns")["price"].min()
        if len(sold):
            sold_ns = sold.index.to_numpy(dtype=np.int64)
            k = np.searchsorted(sold_ns, grid_ns, side="right") - 1
            mark[:, j] = np.where(k >= 0, sold.to_numpy()[np.maximum(k, 0)], np.nan)
        bars = np.searchsorted(grid_ns, times, side="left")
        in_grid = rows.assign(bar=bars)[(bars < len(grid_ns)) & (times > first_open)]
        for side, book, worst in (("yes", "ask", "max"), ("no", "bid", "min")):
            prints = in_grid[in_grid["side"] == side]
            if prints.empty:
                continue
            prints = prints[prints["ns"] == prints.groupby("bar")["ns"].transform("min")]
            prints = prints[prints["price"] == prints.groupby("bar")["price"].transform(worst)]
            best = prints.groupby("bar").agg(price=("price", "first"), size=("count", "sum"))
            at_bar = best.index.to_numpy(dtype=np.int64)
            fill[book][at_bar, j] = best["price"].to_numpy()
            fill[f"{book}_size"][at_bar, j] = best["size"].to_numpy()
    return QuoteArrays(
        index=grid,
        tickers=tickers,
        bid=last.copy(),
        ask=last.copy(),
        bid_size=np.full(shape, np.nan),  # a tape shows no resting depth
        ask_size=np.full(shape, np.nan),
        last=last,
        mark=mark,
        meta=tuple(meta),
        data_source="trades",
        staleness=stale_limit,
        sizes_capped=True,
        fill_bid=fill["bid"],
        fill_ask=fill["ask"],
        fill_bid_size=fill["bid_size"],
        fill_ask_size=fill["ask_size"],
        max_wait_bars=max_wait_bars,
    )
