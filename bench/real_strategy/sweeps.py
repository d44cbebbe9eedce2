"""Sweeps of the real-data report: the parameter grids (1-minute multi tapes, daily econ
tapes), one strategy's sweep summarised as a report row (`sweep_row`), where a
`calibration_bands` result comes from out of sample (`oos_breakdown`), and how long an order
waits for a print it can fill at (`wait_profile`)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import numpy as np

from bench.real_strategy.transforms import NO_SUFFIX
from kalshi_core.analysis.calibration import CalibrationParams, band_index
from kalshi_core.backtest import QuoteArrays, run_sweep
from kalshi_core.backtest.engine import run_kernel
from kalshi_core.backtest.kernels import O_COUNT, O_FEE, O_MARKET, O_PRICE, O_REASON, R_ENTRY
from kalshi_core.backtest.strategies import compute_signals
from kalshi_core.backtest.sweep import SweepResult

GRIDS: dict[str, dict[str, list[Any]]] = {
    "favourite": {
        "lo": ["0.80", "0.85", "0.90"],
        "hi": ["0.95", "0.97", "0.99"],
        "hours_to_close": [1, 3, 6],
    },
    "mean_reversion": {"lookback": [15, 30, 60], "entry_z": [1.5, 2.0, 2.5], "timeout_bars": [60]},
    "momentum": {
        "lookback": [15, 30, 60],
        "trail_stop": ["0.03", "0.05", "0.10"],
        "max_hold_bars": [240],
    },
}
# The econ tapes on a daily grid (lookbacks and holding limits in days).
ECON_GRIDS: dict[str, dict[str, list[Any]]] = {
    "favourite": {
        "lo": ["0.80", "0.85", "0.90"],
        "hi": ["0.95", "0.97", "0.99"],
        "hours_to_close": [24, 72, 168],
    },
    "mean_reversion": {"lookback": [5, 10, 20], "entry_z": [1.5, 2.0, 2.5], "timeout_bars": [10]},
    "momentum": {
        "lookback": [5, 10, 20],
        "trail_stop": ["0.03", "0.05", "0.10"],
        "max_hold_bars": [30],
    },
}


# --- sweeps ------------------------------------------------------------------------------------


def sweep_row(
    label: str,
    quotes: QuoteArrays,
    strategy: str,
    grid: dict[str, list[Any]] | list[dict[str, Any]],
    k: int,
    sharpe_freq: str,
) -> dict[str, Any]:
    """One strategy's sweep, summarised for the report."""
    t0 = time.perf_counter()
    sweep: SweepResult = run_sweep(
        quotes, strategy, grid, split=quotes.index[k].to_pydatetime(),
        fill_delay_bars=1, sharpe_freq=sharpe_freq, full_result=False,
    )  # fmt: skip
    best = sweep.rows[sweep.best_index] if sweep.best_index is not None else None
    any_trade = any(r.train_trades or r.test_trades for r in sweep.rows)
    oos = sweep.out_of_sample_sharpe
    return {
        "label": label,
        "strategy": strategy,
        "trials": sweep.n_trials,
        "best_params": sweep.best_params,
        "train_sharpe": sweep.best_train_sharpe,
        "train_pnl": None if best is None else str(best.train_pnl),
        "train_trades": None if best is None else best.train_trades,
        "oos_sharpe": oos,
        "oos_pnl": None if best is None else str(best.test_pnl),
        "oos_trades": None if best is None else best.test_trades,
        "deflated_sharpe": sweep.deflated_sharpe,
        "any_trial_traded": any_trade,
        "oos_trades_all_trials": sum(r.test_trades for r in sweep.rows),
        "clears_0.5_oos": bool(oos is not None and oos > 0.5),
        # every trial of a small grid, so a selection can be read against its alternatives
        "trial_rows": [
            {
                "params": r.params,
                "train_sharpe": r.train_sharpe,
                "train_pnl": str(r.train_pnl),
                "oos_sharpe": r.test_sharpe,
                "oos_pnl": str(r.test_pnl),
                "oos_trades": r.test_trades,
            }
            for r in sweep.rows
        ]
        if len(sweep.rows) <= 8
        else None,
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def oos_breakdown(quotes: QuoteArrays, params: dict[str, Any], k: int) -> list[dict[str, Any]]:
    """Where a `calibration_bands` result comes from: the test window's positions (one per
    market: held to settlement) by side and by the calibration band of their entry price."""
    _, signals = compute_signals(quotes, "calibration_bands", params)
    run = run_kernel(quotes, signals, t0=k, t1=quotes.n_bars, settle_beyond=True)
    cash: dict[int, Decimal] = {}
    entry: dict[int, Decimal] = {}
    for o in run.orders:
        m, count = int(o[O_MARKET]), Decimal(int(o[O_COUNT])).scaleb(-2)
        price, fee = Decimal(int(o[O_PRICE])).scaleb(-4), Decimal(int(o[O_FEE])).scaleb(-2)
        cash[m] = cash.get(m, Decimal(0)) - count * price - fee
        if int(o[O_REASON]) == R_ENTRY:
            entry[m] = price
    edges = list(CalibrationParams().band_edges)
    groups: dict[tuple[str, int], list[Decimal]] = {}
    for m, px in entry.items():
        side = "NO" if quotes.tickers[m].endswith(NO_SUFFIX) else "YES"
        groups.setdefault((side, band_index(px, edges)), []).append(cash[m])
    return [
        {
            "side": side,
            "band": f"[{edges[b]}, {edges[b + 1]})",
            "positions": len(pnl),
            "won": sum(1 for x in pnl if x > 0),
            "pnl": str(sum(pnl, Decimal(0))),
        }
        for (side, b), pnl in sorted(groups.items())
    ]


def wait_profile(quotes: QuoteArrays, delay: int = 1) -> dict[str, Any]:
    """For every bar with a fresh last print: how many bars after the signal the next
    YES-taker print (where a buy can fill) comes, counted from the signal's bar + `delay`."""
    waits: list[np.ndarray] = []
    never = 0
    for m in range(quotes.n_markets):
        fills = np.flatnonzero(np.isfinite(quotes.fill_ask[:, m]))
        signals = np.flatnonzero(np.isfinite(quotes.last[:, m]))
        if signals.size == 0:
            continue
        nxt = np.searchsorted(fills, signals + delay, side="left")
        ok = nxt < fills.size
        never += int((~ok).sum())
        waits.append(fills[nxt[ok]] - (signals[ok] + delay))
    w = np.concatenate(waits) if waits else np.zeros(0, dtype=np.int64)
    total = int(w.size) + never
    out: dict[str, Any] = {"signal_bars": total, "never_filled": never}
    for limit in (0, 1, 5, 15, 60):
        out[f"within_{limit}"] = None if total == 0 else round(float((w <= limit).sum()) / total, 4)
    out["median_wait_bars"] = None if w.size == 0 else float(np.median(w))
    return out
