"""Contract: Sharpe comes from PnL resampled to a fixed frequency and is annualised from that
frequency (never sqrt(252) on ticks); drawdown and the deflated Sharpe ratio (Bailey & Lopez de
Prado 2014) follow their definitions; a sweep evaluates every combination on a train and a test
window split by time, picks the best by train Sharpe, reports its out-of-sample Sharpe and DSR,
and the train window never collects a settlement that happens after the split."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import pytest

from backtest.builders import at, make_quotes
from kalshi_core.backtest.engine import provenance, run_backtest, run_kernel
from kalshi_core.backtest.metrics import (
    SharpeFrequencyError,
    bucket_ends,
    check_sharpe_freq,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    max_drawdown,
    periods_per_year,
    sharpe_from_pnl,
)
from kalshi_core.backtest.quotes import MarketMeta, QuoteArrays
from kalshi_core.backtest.strategies import compute_signals
from kalshi_core.backtest.sweep import expand_grid, run_sweep, split_index


def test_sharpe_is_annualised_from_the_sampling_frequency() -> None:
    curve = [1.0, 0.0, 1.0, 0.0, 2.0]  # returns 1, -1, 1, -1, 2
    rets = np.array([1.0, -1.0, 1.0, -1.0, 2.0])
    per_period = rets.mean() / rets.std(ddof=1)
    hourly = sharpe_from_pnl(curve, "1h")
    daily = sharpe_from_pnl(curve, "1D")
    assert hourly.per_period == pytest.approx(per_period)
    assert hourly.annualised == pytest.approx(per_period * math.sqrt(365.25 * 24))
    assert daily.annualised == pytest.approx(per_period * math.sqrt(365.25))
    assert periods_per_year("5min") == pytest.approx(365.25 * 24 * 12)


def test_sharpe_is_undefined_without_variance_or_data() -> None:
    assert sharpe_from_pnl([1.0, 2.0, 3.0], "1h").annualised is None
    assert sharpe_from_pnl([1.0], "1h").annualised is None
    assert sharpe_from_pnl([0.0, 0.0, 0.0], "1h").annualised is None


def test_bucket_ends_on_an_irregular_index() -> None:
    idx = pd.DatetimeIndex(
        ["2026-01-01 00:10", "2026-01-01 00:50", "2026-01-01 02:05", "2026-01-01 02:06"], tz="UTC"
    )
    assert bucket_ends(idx, "1h").tolist() == [1, 3]  # the empty 01:00 hour has no sample


def test_max_drawdown_starts_from_zero() -> None:
    assert max_drawdown([1.0, 3.0, 0.0, 2.0]) == 3.0
    assert max_drawdown([-1.0, -0.5]) == 1.0
    assert max_drawdown([1.0, 2.0]) == 0.0


def test_deflated_sharpe_ratio() -> None:
    # One trial: DSR is the probabilistic Sharpe ratio against 0.
    psr = NormalDist().cdf(0.1 * math.sqrt(99) / math.sqrt(1 + (3 - 1) / 4 * 0.01))
    assert deflated_sharpe_ratio(0.1, 100, 0.0, 3.0, 1, 0.0) == pytest.approx(psr)
    # E[max] of 100 unit-variance trials is close to the expected max of 100 normals (~2.51).
    assert expected_max_sharpe(100, 1.0) == pytest.approx(2.51, abs=0.05)
    many = deflated_sharpe_ratio(0.1, 100, 0.0, 3.0, 1000, 0.01**2)
    few = deflated_sharpe_ratio(0.1, 100, 0.0, 3.0, 10, 0.01**2)
    assert many is not None
    assert few is not None
    assert many < few < psr
    # Negative skew and fat tails lower confidence in a positive Sharpe.
    fat = deflated_sharpe_ratio(0.1, 100, -1.0, 10.0, 1, 0.0)
    assert fat is not None
    assert fat < psr
    assert deflated_sharpe_ratio(0.1, 1, 0.0, 3.0, 1, 0.0) is None


def two_markets() -> QuoteArrays:
    rng = np.random.default_rng(7)
    n = 400
    walk = np.clip(0.5 + np.cumsum(rng.normal(0, 0.01, (n, 2)), axis=0), 0.05, 0.9)
    bid = np.round(walk, 2)
    meta = [
        MarketMeta(ticker="KX-A", result="yes", close_time=at(380), settlement_time=at(390)),
        MarketMeta(ticker="KX-B", result="no", close_time=at(500), settlement_time=at(900)),
    ]
    return make_quotes(bid, bid + 0.02, meta=meta)


def test_sweep_picks_the_best_train_sharpe_and_reports_its_test_sharpe() -> None:
    q = two_markets()
    grid: dict[str, list[Any]] = {
        "lookback": [10, 30],
        "entry_z": [1.0, 2.0],
        "timeout_bars": [5, 50],
    }
    res = run_sweep(q, "mean_reversion", grid, split=0.5, sharpe_freq="10min")
    assert res.n_trials == 8
    assert len(res.rows) == 8
    scored = [(r.train_sharpe, i) for i, r in enumerate(res.rows) if r.train_sharpe is not None]
    assert res.best_index == max(scored)[1]
    best = res.rows[res.best_index]
    assert res.best_params == best.params
    assert res.out_of_sample_sharpe == best.test_sharpe
    # The test Sharpe is the test window alone, from a flat book.
    k = split_index(q, 0.5)
    _, sig = compute_signals(q, "mean_reversion", best.params)
    ends = bucket_ends(q.index[k:], "10min") + k
    run = run_kernel(q, sig, t0=k, t1=q.n_bars, sample_idx=ends)
    assert sharpe_from_pnl(run.equity_micro / 1e6, "10min").annualised == best.test_sharpe
    assert Decimal(run.pnl_micro) / 1_000_000 == best.test_pnl
    assert res.deflated_sharpe is not None
    assert 0 <= res.deflated_sharpe <= 1
    assert res.best_result is not None
    assert res.best_result.deflated_sharpe == res.deflated_sharpe
    assert res.best_result.out_of_sample_sharpe == res.out_of_sample_sharpe
    assert res.split_time == at(200)


def test_train_window_does_not_collect_settlements_after_the_split() -> None:
    meta = [MarketMeta(ticker="KX-A", result="yes", close_time=at(9), settlement_time=at(9))]
    q = make_quotes([0.90] * 10, [0.92] * 10, meta=meta)
    res = run_sweep(
        q, "favourite", [{"lo": "0.9", "hi": "0.95", "hours_to_close": 1.0}],
        split=0.5, sharpe_freq="1min", full_result=False,
    )  # fmt: skip
    row = res.rows[0]
    # Bought 10 at 0.92 (fee 0.06) before the split: marked at the 0.90 bid, not paid $1.
    assert row.train_pnl == Decimal("-0.26")
    assert row.train_trades == 1


def test_grids_and_bad_splits() -> None:
    assert expand_grid({"a": [1, 2], "b": [3]}) == [{"a": 1, "b": 3}, {"a": 2, "b": 3}]
    assert expand_grid([{"a": 1}]) == [{"a": 1}]
    q = two_markets()
    with pytest.raises(ValueError, match="empty parameter grid"):
        run_sweep(q, "momentum", [])
    with pytest.raises(ValueError, match="split fraction"):
        run_sweep(q, "momentum", {"lookback": [5]}, split=1.5)
    with pytest.raises(ValueError, match="empty train or test"):
        run_sweep(q, "momentum", {"lookback": [5]}, split=at(10_000))


def five_minute_grid() -> QuoteArrays:
    """`two_markets` on a 5-minute grid: the PnL can only change every 5 minutes."""
    q = two_markets()
    return dataclasses.replace(q, index=pd.date_range(at(0), periods=q.n_bars, freq="5min"))


def test_sharpe_frequency_finer_than_the_grid_step_is_refused() -> None:
    # 1-min buckets on a 5-min grid hold one return per 5 buckets, annualised as if there were
    # five: Sharpe would be sqrt(5) too large. Both entry points refuse, naming both frequencies.
    q = five_minute_grid()
    message = r"sharpe_freq 1min is finer than the backtest grid step 5min"
    with pytest.raises(SharpeFrequencyError, match=message):
        run_backtest(q, "mean_reversion", {"lookback": 10}, sharpe_freq="1min")
    with pytest.raises(SharpeFrequencyError, match=message):
        run_sweep(q, "mean_reversion", {"lookback": [10]}, sharpe_freq="1min")
    with pytest.raises(ValueError, match="use sharpe_freq >= 5min"):
        check_sharpe_freq("5min", "299s")
    # At the step or coarser every bucket holds a bar: allowed.
    check_sharpe_freq("5min", "5min")
    check_sharpe_freq(pd.Timedelta(minutes=5), "7min")
    assert run_backtest(q, "mean_reversion", {"lookback": 10}, sharpe_freq="5min").sharpe_ratio


def test_sweep_best_result_carries_the_same_provenance_as_a_single_run() -> None:
    q = two_markets()
    scope = {"series": ["KX"], "events": [], "requested_tickers": [], "markets": 2}
    grid: dict[str, list[Any]] = {"lookback": [10], "entry_z": [1.0]}
    sweep = run_sweep(q, "mean_reversion", grid, split=0.5, fill_delay_bars=2, universe=scope)
    single = run_backtest(
        q, "mean_reversion", {"lookback": 10, "entry_z": 1.0}, fill_delay_bars=2, universe=scope
    )
    assert sweep.best_result is not None
    assert sweep.best_result.universe == single.universe
    assert single.universe == {
        **scope,
        "tickers": ["KX-A", "KX-B"],
        "freq": "0 days 00:01:00",
        "staleness": "0 days 00:05:00",
        "sizes_capped": True,
        "fill_delay_bars": 2,
        "max_wait_bars": 0,
    }
    assert provenance(q, fill_delay_bars=2, scope=scope) == single.universe


def test_a_scope_key_that_would_hide_an_engine_fact_is_refused() -> None:
    # The universe the engine ran on is the provenance; a caller's `tickers` (e.g. the
    # requested ones, empty when a series was named) must not overwrite it.
    with pytest.raises(ValueError, match="tickers"):
        provenance(two_markets(), fill_delay_bars=1, scope={"tickers": []})
