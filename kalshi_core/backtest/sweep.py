"""Parameter sweeps with a time split, out-of-sample Sharpe and the deflated Sharpe ratio.

Every combination is simulated twice by the fill engine: on the train window (from a flat book;
positions still open at the split are marked at the bid, never settled by a result that lies in
the test period) and on the test window (from a flat book; signals there may use earlier data,
which is the past). The best combination by train Sharpe is reported with its test Sharpe and
the deflated Sharpe of its train Sharpe given the number of trials.

The best combination's full result is made by `run_backtest` itself, with the caller's
`universe`: a row stored from a sweep records the same provenance as a single run.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from kalshi_core.backtest.engine import run_backtest, run_kernel
from kalshi_core.backtest.kernels import O_REASON, R_ENTRY
from kalshi_core.backtest.metrics import (
    SharpeStats,
    bucket_ends,
    check_sharpe_freq,
    deflated_sharpe_ratio,
)
from kalshi_core.backtest.metrics import sharpe_from_pnl as _sharpe
from kalshi_core.backtest.quotes import QuoteArrays
from kalshi_core.backtest.strategies import compute_signals
from kalshi_core.logs import get_logger
from kalshi_core.models import AwareDatetime, BacktestResult

log = get_logger(__name__)


class SweepRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    params: dict[str, Any]
    train_sharpe: float | None
    test_sharpe: float | None
    train_pnl: Decimal
    test_pnl: Decimal
    train_trades: int
    test_trades: int


class SweepResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    strategy_name: str
    n_trials: int
    split_time: AwareDatetime
    sharpe_frequency: str
    rows: list[SweepRow]
    best_index: int | None
    best_params: dict[str, Any] | None
    best_train_sharpe: float | None
    out_of_sample_sharpe: float | None
    deflated_sharpe: float | None
    trial_sharpe_variance: float | None  # of per-period train Sharpes
    best_result: BacktestResult | None = None


def expand_grid(
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """A dict of value lists becomes its cartesian product; a list of dicts stays as is."""
    if isinstance(grid, Mapping):
        keys = list(grid)
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]
    return [dict(g) for g in grid]


def split_index(quotes: QuoteArrays, split: float | datetime) -> int:
    if isinstance(split, datetime):
        if split.tzinfo is None:
            raise ValueError("split time must be timezone-aware")
        k = int(np.searchsorted(quotes.grid_ns(), pd.Timestamp(split).value, side="left"))
    else:
        if not 0 < split < 1:
            raise ValueError("split fraction must be in (0, 1)")
        k = int(quotes.n_bars * split)
    if not 0 < k < quotes.n_bars:
        raise ValueError(f"split leaves an empty train or test window ({k} of {quotes.n_bars})")
    return k


def run_sweep(
    quotes: QuoteArrays,
    strategy_name: str,
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    *,
    split: float | datetime = 0.7,
    base_params: Mapping[str, Any] | None = None,
    fill_delay_bars: int = 1,
    sharpe_freq: str = "1h",
    full_result: bool = True,
    universe: Mapping[str, Any] | None = None,
) -> SweepResult:
    """Evaluate every grid combination on train and test; pick the best by train Sharpe.

    `universe` is the caller's scope, recorded in `best_result` as `run_backtest` records it.
    """
    combos = expand_grid(grid)
    if not combos:
        raise ValueError("empty parameter grid")
    check_sharpe_freq(quotes.step, sharpe_freq)
    k = split_index(quotes, split)
    ends_train = bucket_ends(quotes.index[:k], sharpe_freq)
    ends_test = bucket_ends(quotes.index[k:], sharpe_freq) + k
    rows: list[SweepRow] = []
    train_stats: list[SharpeStats] = []
    for combo in combos:
        params, signals = compute_signals(quotes, strategy_name, {**(base_params or {}), **combo})
        train = run_kernel(
            quotes, signals, t0=0, t1=k, settle_beyond=False,
            fill_delay_bars=fill_delay_bars, sample_idx=ends_train,
        )  # fmt: skip
        test = run_kernel(
            quotes, signals, t0=k, t1=quotes.n_bars, settle_beyond=True,
            fill_delay_bars=fill_delay_bars, sample_idx=ends_test,
        )  # fmt: skip
        tr = _sharpe(train.equity_micro / 1e6, sharpe_freq)
        te = _sharpe(test.equity_micro / 1e6, sharpe_freq)
        train_stats.append(tr)
        rows.append(
            SweepRow(
                params=params.model_dump(mode="json"),
                train_sharpe=tr.annualised,
                test_sharpe=te.annualised,
                train_pnl=Decimal(train.pnl_micro) / 1_000_000,
                test_pnl=Decimal(test.pnl_micro) / 1_000_000,
                train_trades=int(np.sum(train.orders[:, O_REASON] == R_ENTRY)),
                test_trades=int(np.sum(test.orders[:, O_REASON] == R_ENTRY)),
            )
        )
    scored = [i for i, s in enumerate(train_stats) if s.per_period is not None]
    split_time = quotes.index[k].to_pydatetime()
    if not scored:
        log.info("sweep: no combination produced a train Sharpe", extra={"n": len(combos)})
        return SweepResult(
            strategy_name=strategy_name, n_trials=len(combos), split_time=split_time,
            sharpe_frequency=sharpe_freq, rows=rows, best_index=None, best_params=None,
            best_train_sharpe=None, out_of_sample_sharpe=None, deflated_sharpe=None,
            trial_sharpe_variance=None,
        )  # fmt: skip
    best = max(scored, key=lambda i: train_stats[i].per_period or -math.inf)
    srs = np.array([train_stats[i].per_period for i in scored], dtype=np.float64)
    variance = float(srs.var(ddof=1)) if srs.size > 1 else 0.0
    b = train_stats[best]
    assert b.per_period is not None
    dsr = deflated_sharpe_ratio(
        b.per_period, b.n_returns, b.skew, b.kurtosis, len(combos), variance
    )
    best_result = None
    if full_result:
        best_result = run_backtest(
            quotes, strategy_name, {**(base_params or {}), **combos[best]},
            fill_delay_bars=fill_delay_bars, sharpe_freq=sharpe_freq, universe=universe,
        ).model_copy(
            update={"deflated_sharpe": dsr, "out_of_sample_sharpe": rows[best].test_sharpe}
        )  # fmt: skip
    return SweepResult(
        strategy_name=strategy_name,
        n_trials=len(combos),
        split_time=split_time,
        sharpe_frequency=sharpe_freq,
        rows=rows,
        best_index=best,
        best_params=rows[best].params,
        best_train_sharpe=rows[best].train_sharpe,
        out_of_sample_sharpe=rows[best].test_sharpe,
        deflated_sharpe=dsr,
        trial_sharpe_variance=variance,
        best_result=best_result,
    )
