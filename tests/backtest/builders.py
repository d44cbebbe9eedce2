"""Builders for backtest tests: quote arrays from plain lists, and hypothesis strategies that
draw random quotes (stale cells, thin books, empty sides), random trade tapes (both taker
sides, sweeps sharing a timestamp, prints on grid times, block trades, sides unknown),
metadata and signals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from kalshi_core.backtest.quotes import MarketMeta, QuoteArrays, quotes_from_trades
from kalshi_core.backtest.strategies import Signals
from kalshi_core.models import Trade

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
    tape: tuple[Trade, ...] | None = None  # trade-only cases: the tape the quotes come from


def tape_frame(trades: list[Trade] | tuple[Trade, ...]) -> pd.DataFrame:
    """The frame `HistoryRepository.trade_frame` returns, from `Trade` models."""
    return pd.DataFrame(
        {
            "market_ticker": [t.ticker for t in trades],
            "created_time": pd.to_datetime([t.created_time for t in trades], utc=True),
            "yes_price": np.array([float(t.yes_price) for t in trades], dtype=np.float64),
            "count": np.array([float(t.count) for t in trades], dtype=np.float64),
            "taker_side": pd.Series([t.taker_side for t in trades], dtype=object),
            "is_block_trade": np.array([t.is_block_trade for t in trades], dtype=bool),
        }
    )


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
        max_wait_bars=draw(st.sampled_from([0, 0, 1, 3])),
    )
    return Case(quotes, _signals(draw, rng, shape), draw(st.integers(0, 2)))


def _signals(draw: st.DrawFn, rng: np.random.Generator, shape: tuple[int, int]) -> Signals:
    p_entry = draw(st.sampled_from([0.05, 0.2, 0.5]))
    p_exit = draw(st.sampled_from([0.0, 0.1, 0.3]))
    return Signals(
        entries=rng.random(shape) < p_entry,
        exits=rng.random(shape) < p_exit,
        contracts=Decimal(draw(st.sampled_from(["1", "2.5", "10", "0.37", "250"]))),
        max_hold_bars=draw(st.sampled_from([0, 1, 3])),
        trail_stop=Decimal(draw(st.sampled_from(["0", "0.01", "0.05"]))),
    )


@st.composite
def trade_cases(draw: st.DrawFn, max_bars: int = 30, max_markets: int = 3) -> Case:
    """A random tape per market, gridded by `quotes_from_trades`: prints from before the window
    to after its last grid time, some exactly on grid times, sweeps (several prints at one
    timestamp, different prices), both taker sides, unknown sides and block trades."""
    n_bars = draw(st.integers(2, max_bars))
    n_markets = draw(st.integers(1, max_markets))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    meta = [draw(market_meta(j, n_bars)) for j in range(n_markets)]
    density = draw(st.sampled_from([0.3, 1.0, 3.0]))  # prints per bar
    fractional = draw(st.booleans())
    trades: list[Trade] = []
    for m in meta:
        price_u = int(rng.integers(5, 96))  # cents
        for k in range(int(rng.poisson(density * (n_bars + 2)))):
            if rng.random() < 0.15:  # on a grid time: belongs to that bar, not the next
                when = at(int(rng.integers(-1, n_bars + 1)))
            else:
                when = T0 + timedelta(seconds=float(rng.integers(-120_000, n_bars * 60_000)) / 1000)
            price_u = int(np.clip(price_u + rng.integers(-3, 4), 1, 99))
            sweep = int(rng.integers(1, 4)) if rng.random() < 0.3 else 1
            side = rng.choice(np.array(["yes", "no", "none"]), p=[0.45, 0.45, 0.10])
            offset = 0
            for level in range(sweep):
                # a sweep walks away from the first price, sometimes staying on one level
                offset += int(rng.integers(0, 2)) if level else 0
                step = offset if side == "yes" else -offset
                count = (
                    Decimal(int(rng.integers(1, 1_500))) / 100
                    if fractional
                    else Decimal(int(rng.integers(1, 40)))
                )
                trades.append(
                    Trade(
                        trade_id=f"{m.ticker}-{k}-{level}",
                        ticker=m.ticker,
                        created_time=when,
                        yes_price=Decimal(int(np.clip(price_u + step, 1, 99))) / 100,
                        count=count,
                        taker_side=None if side == "none" else str(side),
                        is_block_trade=bool(rng.random() < 0.05),
                    )
                )
    order = rng.permutation(len(trades))  # the tape arrives in any order
    tape = tuple(trades[i] for i in order)
    quotes = quotes_from_trades(
        tape_frame(tape),
        meta,
        start=T0,
        end=at(n_bars),
        freq=pd.Timedelta(STEP),
        staleness=pd.Timedelta(draw(st.sampled_from([STEP, 5 * STEP]))),
        max_wait_bars=draw(st.sampled_from([0, 1, 3, 10])),
    )
    sig = _signals(draw, rng, (n_bars, n_markets))
    return Case(quotes, sig, draw(st.integers(1, 2)), tape)
