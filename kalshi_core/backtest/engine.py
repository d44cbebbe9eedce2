"""The vectorised backtest: numba fill engine + vectorbt portfolio -> `BacktestResult`.

`run_kernel` applies the fill rules (`kalshi_core.backtest.kernels`) and returns the orders
that fill. `run_backtest` hands those orders to ``vbt.Portfolio.from_orders``, which keeps cash,
positions, trade records and the equity curve; metrics and trades are read from vectorbt and
cross-checked against the kernel's exact integer PnL.

Why from_orders and not from_signals: from_signals takes its signal function as a first-class
numba argument, which numba cannot cache, so every fresh process (every Dagster run) pays
~6.5 s of compilation; from_orders is cached (~0.2 s). The fill decisions (ask/bid, top-of-book
caps, stale quotes, stops, settlement) need position state either way.

vectorbt rejects orders at price 0, but a contract settling NO really is worth $0. So vectorbt
trades the contract at ``price + 1``: a constant offset that leaves every PnL, fee and cash flow
unchanged (it only shifts cash levels, which we never report).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from kalshi_core.backtest.fees import COUNT_SCALE, PRICE_SCALE
from kalshi_core.backtest.kernels import (
    O_BAR,
    O_COUNT,
    O_FEE,
    O_MARKET,
    O_PRICE,
    O_REASON,
    ORDER_FIELDS,
    R_END,
    R_SETTLEMENT,
    R_VOID,
    REASON_NAMES,
    simulate_nb,
)
from kalshi_core.backtest.metrics import (
    bucket_ends,
    check_sharpe_freq,
    max_drawdown,
    sharpe_from_pnl,
)
from kalshi_core.backtest.quotes import QuoteArrays
from kalshi_core.backtest.strategies import Signals, StrategyParams, compute_signals
from kalshi_core.logs import get_logger
from kalshi_core.models import BacktestResult, BacktestTrade

ENGINE_VERSION = "backtest-engine/1"
VBT_PRICE_OFFSET = 1.0
MICRO = Decimal("0.000001")
_MICRO_PER_UNIT = 1_000_000  # kernel cash unit is $1e-6

log = get_logger(__name__)


class EngineConsistencyError(RuntimeError):
    """vectorbt's accounting and the fill engine's exact PnL disagree (a bug, never data)."""


def provenance(
    quotes: QuoteArrays, *, fill_delay_bars: int, scope: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The `universe` recorded with a result: what the engine ran on, plus the caller's scope.

    The one builder for single runs and sweeps alike, so a stored row says the same thing
    whichever path wrote it. The engine's facts (the tickers it actually simulated, grid,
    staleness, whether sizes capped fills, fill delay) are never overwritten: a scope key
    that collides with one is refused rather than silently replacing it.
    """
    facts: dict[str, Any] = {
        "tickers": list(quotes.tickers),
        "freq": str(quotes.step),
        "staleness": str(quotes.staleness),
        "sizes_capped": quotes.sizes_capped,
        "fill_delay_bars": fill_delay_bars,
        "max_wait_bars": quotes.max_wait_bars,
    }
    clash = sorted(set(facts) & set(scope or {}))
    if clash:
        raise ValueError(
            f"universe scope keys {clash} would overwrite what the engine records; "
            "name them differently (e.g. requested_tickers)"
        )
    return {**(scope or {}), **facts}


@dataclass(frozen=True, slots=True)
class KernelRun:
    orders: npt.NDArray[np.int64]  # (n, ORDER_FIELDS), see kernels.O_*
    pnl_micro: int  # final PnL in $1e-6
    equity_micro: npt.NDArray[np.int64]  # PnL after each sample bar, in $1e-6
    t0: int
    t1: int


def check_fill_delay(quotes: QuoteArrays, fill_delay_bars: int) -> None:
    """Refuse a fill delay the data cannot honour."""
    if fill_delay_bars < 0:
        raise ValueError("fill_delay_bars must be >= 0")
    if fill_delay_bars == 0 and quotes.data_source == "trades":
        # A bar's prints happened before its grid time, some of them before the print the
        # signal saw: filling in the signal's own bar would trade before the signal existed.
        raise ValueError(
            "trade-only data needs fill_delay_bars >= 1: an order can only meet a print made "
            "after its signal, and the signal's own bar holds prints from before it"
        )


def run_kernel(
    quotes: QuoteArrays,
    signals: Signals,
    *,
    t0: int = 0,
    t1: int | None = None,
    settle_beyond: bool = True,
    fill_delay_bars: int = 1,
    sample_idx: npt.NDArray[np.int64] | None = None,
) -> KernelRun:
    """Fill rules over bars [t0, t1): the orders that fill and the sampled PnL curve.

    Orders fill against the quotes' fill view and wait up to ``quotes.max_wait_bars``."""
    end = quotes.n_bars if t1 is None else t1
    if not 0 <= t0 < end <= quotes.n_bars:
        raise ValueError(f"bad window [{t0}, {end}) for {quotes.n_bars} bars")
    check_fill_delay(quotes, fill_delay_bars)
    entries, exits = signals.entries, signals.exits
    samples = (
        np.arange(t0, end, dtype=np.int64)
        if sample_idx is None
        else np.ascontiguousarray(sample_idx, dtype=np.int64)
    )
    equity = np.zeros(samples.shape[0], dtype=np.int64)
    contracts_u = int(signals.contracts * COUNT_SCALE)
    trail_u = int(signals.trail_stop * PRICE_SCALE)
    lo = max(t0 - fill_delay_bars, 0)
    capacity = min(int(np.count_nonzero(entries[lo:end])), (end - t0) * quotes.n_markets) * 2
    capacity += quotes.n_markets + 64
    while True:
        orders = np.empty((capacity, ORDER_FIELDS), dtype=np.int64)
        n, cash = simulate_nb(
            quotes.fill_bid_u,
            quotes.fill_ask_u,
            quotes.fill_bid_size_u,
            quotes.fill_ask_size_u,
            quotes.mark_u,
            entries,
            exits,
            fill_delay_bars,
            quotes.max_wait_bars,
            t0,
            end,
            contracts_u,
            signals.max_hold_bars,
            trail_u,
            quotes.close_idx,
            quotes.settle_idx,
            quotes.result_kind,
            quotes.payout_u,
            quotes.fee_coef_u,
            quotes.fee_free_idx,
            settle_beyond,
            samples,
            orders,
            equity,
        )
        if n >= 0:
            return KernelRun(orders[:n].copy(), int(cash), equity, t0, end)
        capacity *= 4


def run_backtest(
    quotes: QuoteArrays,
    strategy_name: str,
    params: Mapping[str, Any] | StrategyParams | None = None,
    *,
    fill_delay_bars: int = 1,
    sharpe_freq: str = "1h",
    universe: Mapping[str, Any] | None = None,
) -> BacktestResult:
    """Run one registered strategy over `quotes` with vectorbt and return the full result.

    Signals seen at bar t execute at bar ``t + fill_delay_bars`` (default 1: one grid step of
    latency; 0 trades on the very quote that triggered the signal). Positions open at the end
    settle by their result when it is known, else they are marked at the last observed bid.
    `sharpe_freq` may not be finer than the grid step (`metrics.check_sharpe_freq`); `universe`
    is the caller's scope, recorded next to the engine's own facts (`provenance`).
    """
    parsed, signals = compute_signals(quotes, strategy_name, params)
    return backtest_signals(
        quotes,
        signals,
        strategy_name=strategy_name,
        params=parsed.model_dump(mode="json"),
        fill_delay_bars=fill_delay_bars,
        sharpe_freq=sharpe_freq,
        universe=universe,
    )


def backtest_signals(
    quotes: QuoteArrays,
    signals: Signals,
    *,
    strategy_name: str = "custom",
    params: Mapping[str, Any] | None = None,
    fill_delay_bars: int = 1,
    sharpe_freq: str = "1h",
    universe: Mapping[str, Any] | None = None,
) -> BacktestResult:
    """`run_backtest` for signals computed elsewhere (a notebook, a test)."""
    check_sharpe_freq(quotes.step, sharpe_freq)  # before the simulation, not after
    uni = provenance(quotes, fill_delay_bars=fill_delay_bars, scope=universe)
    kernel = run_kernel(quotes, signals, fill_delay_bars=fill_delay_bars)
    portfolio, init_cash = _vectorbt_portfolio(quotes, kernel)
    result = _result_from_portfolio(
        quotes,
        kernel,
        portfolio,
        init_cash,
        strategy_name=strategy_name,
        params=dict(params or {}),
        sharpe_freq=sharpe_freq,
        universe=uni,
    )
    log.info(
        "backtest finished",
        extra={
            "strategy": strategy_name,
            "markets": quotes.n_markets,
            "bars": quotes.n_bars,
            "trades": result.num_trades,
            "total_pnl": str(result.total_pnl),
            "sharpe": result.sharpe_ratio,
        },
    )
    return result


def _vectorbt_portfolio(quotes: QuoteArrays, kernel: KernelRun) -> tuple[Any, float]:
    import vectorbt as vbt  # heavy import (~4 s), only when a portfolio is built

    n_rows = quotes.n_bars + 1  # + one row for end-of-data settlements and marks
    shape = (n_rows, quotes.n_markets)
    size = np.full(shape, np.nan)
    price = np.full(shape, np.nan)
    fees = np.zeros(shape)
    o = kernel.orders
    bars, cols = o[:, O_BAR], o[:, O_MARKET]
    size[bars, cols] = o[:, O_COUNT] / COUNT_SCALE
    price[bars, cols] = o[:, O_PRICE] / PRICE_SCALE + VBT_PRICE_OFFSET
    fees[bars, cols] = o[:, O_FEE] / 100
    close = np.empty(shape)
    close[:-1] = np.where(np.isfinite(quotes.mark), quotes.mark, 0.0)
    close[-1] = close[-2] if quotes.n_bars else 0.0
    close += VBT_PRICE_OFFSET
    buys = o[:, O_COUNT] > 0
    init_cash = float(
        np.sum(o[buys, O_COUNT] / COUNT_SCALE * (o[buys, O_PRICE] / PRICE_SCALE + 1))
        + np.sum(o[:, O_FEE]) / 100
        + 1.0
    )
    portfolio = vbt.Portfolio.from_orders(
        close=close,
        size=size,
        price=price,
        fixed_fees=fees,
        size_type="amount",
        direction="longonly",
        init_cash=init_cash,
        cash_sharing=True,
        group_by=np.zeros(quotes.n_markets, dtype=np.int64),
        max_orders=max(int(o.shape[0]), 1),
    )
    return portfolio, init_cash


def _dec(x: float, q: Decimal = MICRO) -> Decimal:
    return Decimal(repr(float(x))).quantize(q)


def _result_from_portfolio(
    quotes: QuoteArrays,
    kernel: KernelRun,
    portfolio: Any,
    init_cash: float,
    *,
    strategy_name: str,
    params: dict[str, Any],
    sharpe_freq: str,
    universe: dict[str, Any],
) -> BacktestResult:
    n_bars = quotes.n_bars
    end_time = quotes.index[-1] + quotes.step
    value = np.asarray(portfolio.value(), dtype=np.float64).reshape(-1)
    pnl = value - init_cash  # n_bars + 1 rows
    total = _dec(pnl[-1])
    exact_total = Decimal(kernel.pnl_micro) / _MICRO_PER_UNIT
    if abs(total - exact_total) > Decimal("0.00001"):
        raise EngineConsistencyError(f"vectorbt PnL {total} != fill engine PnL {exact_total}")

    # Why each order was placed, looked up by (row, column) of vectorbt's records.
    reason_grid = np.full((n_bars + 1, quotes.n_markets), -1, dtype=np.int8)
    o = kernel.orders
    reason_grid[o[:, O_BAR], o[:, O_MARKET]] = o[:, O_REASON]
    times: list[datetime] = list(quotes.index.to_pydatetime())

    def bar_time(idx: int, market: int) -> datetime:
        if idx < n_bars:
            return times[idx]
        settle = quotes.settle_time(market)
        if reason_grid[idx, market] in (R_SETTLEMENT, R_VOID) and settle is not None:
            return settle
        return end_time.to_pydatetime()

    # One exit trade per closing order; a position (one entry, no pyramiding) is the group of
    # exit trades sharing its parent_id. Aggregating here saves loading vectorbt's position
    # kernels in every fresh process. Money goes to integer micro-dollars before any sum, so
    # the totals are exact.
    et = portfolio.exit_trades.values
    col = et["col"].astype(np.int64)
    exit_idx = et["exit_idx"].astype(np.int64)
    why = reason_grid[exit_idx, col]
    gross = np.rint((et["exit_price"] - et["entry_price"]) * et["size"] * 1e6).astype(np.int64)
    settled = (why == R_SETTLEMENT) | (why == R_VOID)
    marked_rows = why == R_END
    settlement = Decimal(int(gross[settled].sum())) / _MICRO_PER_UNIT
    marked = Decimal(int(gross[marked_rows].sum())) / _MICRO_PER_UNIT
    exit_ = Decimal(int(gross[~settled & ~marked_rows].sum())) / _MICRO_PER_UNIT

    parents, first, group = np.unique(et["parent_id"], return_index=True, return_inverse=True)
    n_pos = parents.shape[0]
    size_c = np.zeros(n_pos, dtype=np.int64)
    proceeds_u = np.zeros(n_pos, dtype=np.int64)
    fees_c = np.zeros(n_pos, dtype=np.int64)
    pnl_u = np.zeros(n_pos, dtype=np.int64)
    last_exit = np.full(n_pos, -1, dtype=np.int64)
    np.add.at(size_c, group, np.rint(et["size"] * COUNT_SCALE).astype(np.int64))
    exit_px = et["exit_price"] - VBT_PRICE_OFFSET
    np.add.at(proceeds_u, group, np.rint(et["size"] * exit_px * 1e6).astype(np.int64))
    # vectorbt splits an entry order's fee pro rata over the partial exits of a position; the
    # pieces are not whole cents, so round the position's sum, not each piece
    fees_f = np.zeros(n_pos)
    np.add.at(fees_f, group, et["entry_fees"] + et["exit_fees"])
    fees_c[:] = np.rint(fees_f * 100).astype(np.int64)
    np.maximum.at(last_exit, group, exit_idx)
    pos_col = col[first]
    entry_px_u = np.rint((et["entry_price"][first] - VBT_PRICE_OFFSET) * PRICE_SCALE).astype(
        np.int64
    )
    # A position's PnL from its exact integer parts (price 1e-4 x contracts 1e-2 = 1e-6 $):
    # summing vectorbt's per-piece PnL would round each piece's share of the entry fee.
    pnl_u[:] = proceeds_u - entry_px_u * size_c - fees_c * 10_000
    entry_idx = et["entry_idx"][first].astype(np.int64)
    last_why = reason_grid[last_exit, pos_col]

    trades: list[BacktestTrade] = []
    for i in range(n_pos):
        c = int(pos_col[i])
        contracts = Decimal(int(size_c[i])).scaleb(-2)
        trades.append(
            BacktestTrade(
                market_ticker=quotes.tickers[c],
                entry_time=bar_time(int(entry_idx[i]), c),
                entry_price=Decimal(int(entry_px_u[i])).scaleb(-4),
                exit_time=bar_time(int(last_exit[i]), c),
                exit_price=(Decimal(int(proceeds_u[i])).scaleb(-6) / contracts).quantize(MICRO),
                contracts=contracts,
                fees=Decimal(int(fees_c[i])).scaleb(-2),
                pnl=Decimal(int(pnl_u[i])).scaleb(-6),
                exit_reason=REASON_NAMES[int(last_why[i])],
            )
        )
    trades.sort(key=lambda tr: (tr.entry_time, tr.market_ticker))
    fees_paid = _dec(float(np.sum(portfolio.orders.values["fees"])), Decimal("0.01"))

    ends = bucket_ends(quotes.index, sharpe_freq)
    curve = pnl[ends].copy()
    curve[-1] = pnl[-1]
    stats = sharpe_from_pnl(curve, sharpe_freq)
    full_curve = pnl[:-1].copy()
    full_curve[-1] = pnl[-1]
    wins = sum(1 for tr in trades if tr.pnl > 0)
    bucket_times = quotes.index.floor(pd.Timedelta(sharpe_freq))[ends]
    return BacktestResult(
        strategy_name=strategy_name,
        params=params,
        universe=universe,
        data_source=quotes.data_source,
        start=quotes.index[0].to_pydatetime(),
        end=end_time.to_pydatetime(),
        total_pnl=total,
        fees_paid=fees_paid,
        settlement_pnl=settlement,
        exit_pnl=exit_,
        marked_pnl=marked,
        sharpe_ratio=stats.annualised,
        sharpe_frequency=sharpe_freq,
        max_drawdown=_dec(max_drawdown(full_curve)),
        win_rate=wins / len(trades) if trades else None,
        num_trades=len(trades),
        equity_curve=[
            (ts.to_pydatetime(), round(float(v), 6))
            for ts, v in zip(bucket_times, curve, strict=True)
        ],
        trades=trades,
        code_version=ENGINE_VERSION,
    )
