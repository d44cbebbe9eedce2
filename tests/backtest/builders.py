"""Builders for backtest tests: quote arrays from plain lists, and hypothesis strategies that
draw random quotes (stale cells, thin books, empty sides), metadata and signals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from kalshi_core.backtest.quotes import MarketMeta, QuoteArrays
from kalshi_core.backtest.strategies import Signals

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
STEP = timedelta(minutes=1)


def at(bar: float) -> datetime:
    return T0 + bar * STEP


def grid(n_bars: int) -> pd.DatetimeIndex:
    return pd.date_range(T0, periods=n_bars, freq=STEP, tz="UTC")


def ffill(arr: np.ndarray) -> np.ndarray:
    return pd.DataFrame(arr).ffill().to_numpy()


def make_quotes(
    bid: Any,
    ask: Any,
    bid_size: Any = None,
    ask_size: Any = None,
    meta: list[MarketMeta] | None = None,
    mark: Any = None,
) -> QuoteArrays:
    """Quotes from (T, N) nested lists (None/NaN = stale); sizes default to 100 contracts."""
    b = np.array(bid, dtype=float)
    if b.ndim == 1:
        b = b[:, None]
    a = np.array(ask, dtype=float).reshape(b.shape)
    bs = np.full(b.shape, 100.0) if bid_size is None else np.array(bid_size, float).reshape(b.shape)
    asz = (
        np.full(b.shape, 100.0) if ask_size is None else np.array(ask_size, float).reshape(b.shape)
    )
    bs = np.where(np.isnan(b), np.nan, bs)
    asz = np.where(np.isnan(a), np.nan, asz)
    n = b.shape[1]
    metas = meta or [MarketMeta(ticker=f"KX-{j}") for j in range(n)]
    return QuoteArrays(
        index=grid(b.shape[0]),
        tickers=tuple(m.ticker for m in metas),
        bid=b,
        ask=a,
        bid_size=bs,
        ask_size=asz,
        last=b,
        mark=ffill(b) if mark is None else np.array(mark, float).reshape(b.shape),
        meta=tuple(metas),
    )


def signals(
    entries: Any,
    exits: Any = None,
    contracts: str = "10",
    max_hold_bars: int = 0,
    trail_stop: str = "0",
) -> Signals:
    e = np.array(entries, dtype=bool)
    if e.ndim == 1:
        e = e[:, None]
    x = np.zeros_like(e) if exits is None else np.array(exits, dtype=bool).reshape(e.shape)
    return Signals(e, x, Decimal(contracts), max_hold_bars, Decimal(trail_stop))


@dataclass(frozen=True)
class Case:
    quotes: QuoteArrays
    signals: Signals
    fill_delay_bars: int


@st.composite
def market_meta(draw: st.DrawFn, j: int, n_bars: int) -> MarketMeta:
    result = draw(st.sampled_from(["yes", "no", "void", "scalar", None]))
    close_bar = draw(st.one_of(st.none(), st.integers(0, n_bars + 3)))
    settle_after = draw(st.one_of(st.none(), st.integers(0, 4)))
    fee_type = draw(st.sampled_from(["quadratic", "quadratic_with_maker_fees", "flat"]))
    multiplier = draw(st.sampled_from(["0", "0.5", "1", "1.25", "2"]))
    waiver = draw(st.one_of(st.none(), st.integers(0, n_bars)))
    close_time = at(close_bar) if close_bar is not None else None
    settle_time = None
    if close_time is not None and settle_after is not None:
        settle_time = close_time + settle_after * STEP
    elif settle_after is not None and result is not None:
        settle_time = at(draw(st.integers(0, n_bars + 3)))
    return MarketMeta(
        ticker=f"KXT-{j}",
        result=result,
        settlement_value=Decimal("0.3700") if result == "scalar" else None,
        close_time=close_time,
        settlement_time=settle_time,
        fee_type=fee_type,
        fee_multiplier=Decimal(multiplier),
        flat_rate=Decimal("0.035") if fee_type == "flat" else None,
        fee_waiver_until=at(waiver) if waiver is not None else None,
    )


@st.composite
def cases(draw: st.DrawFn, max_bars: int = 40, max_markets: int = 4) -> Case:
    n_bars = draw(st.integers(2, max_bars))
    n_markets = draw(st.integers(1, max_markets))
    shape = (n_bars, n_markets)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    tick = draw(st.sampled_from([100, 10, 1]))  # cents, deci-cents, centi-cents (in 1e-4 $)
    level = rng.integers(0, 10_000 // tick, size=n_markets)
    walk = np.cumsum(rng.integers(-3, 4, size=shape), axis=0) + level
    bid_u = np.clip(walk, 0, 10_000 // tick - 1) * tick
    spread = rng.integers(1, 4, size=shape) * tick
    ask_u = np.minimum(bid_u + spread, 10_000)
    # Empty sides: no bid (0) or no ask (1.00), as Kalshi shows them.
    ask_u = np.where(rng.random(shape) < 0.05, 10_000, ask_u)
    bid_u = np.where(rng.random(shape) < 0.05, 0, bid_u)
    observed = rng.random(shape) < draw(st.sampled_from([1.0, 0.8, 0.5]))
    bid = np.where(observed, bid_u / 10_000, np.nan)
    ask = np.where(observed, ask_u / 10_000, np.nan)
    size_choice = draw(st.sampled_from(["thin", "deep", "fractional", "uncapped"]))
    if size_choice == "thin":
        sizes = rng.integers(0, 6, size=(2, *shape)).astype(float)
    elif size_choice == "deep":
        sizes = rng.integers(50, 500, size=(2, *shape)).astype(float)
    elif size_choice == "fractional":
        sizes = rng.integers(0, 1_500, size=(2, *shape)) / 100
    else:
        sizes = np.full((2, *shape), np.inf)
    meta = [draw(market_meta(j, n_bars)) for j in range(n_markets)]
    mark = ffill(np.where(observed, bid_u / 10_000, np.nan))
    quotes = QuoteArrays(
        index=grid(n_bars),
        tickers=tuple(m.ticker for m in meta),
        bid=bid,
        ask=ask,
        bid_size=np.where(observed, sizes[0], np.nan),
        ask_size=np.where(observed, sizes[1], np.nan),
        last=bid,
        mark=mark,
        meta=tuple(meta),
        sizes_capped=size_choice != "uncapped",
    )
    p_entry = draw(st.sampled_from([0.05, 0.2, 0.5]))
    p_exit = draw(st.sampled_from([0.0, 0.1, 0.3]))
    sig = Signals(
        entries=rng.random(shape) < p_entry,
        exits=rng.random(shape) < p_exit,
        contracts=Decimal(draw(st.sampled_from(["1", "2.5", "10", "0.37", "250"]))),
        max_hold_bars=draw(st.sampled_from([0, 1, 3])),
        trail_stop=Decimal(draw(st.sampled_from(["0", "0.01", "0.05"]))),
    )
    return Case(quotes, sig, draw(st.integers(0, 2)))
