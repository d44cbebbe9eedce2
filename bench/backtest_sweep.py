"""Benchmark: a parameter sweep over synthetic Kalshi quotes, against the reference simulator.

    .venv/bin/python -m bench.backtest_sweep            # 1,000 combos x 500 markets x 20,000 bars
    .venv/bin/python -m bench.backtest_sweep --quick    # small sizes, a minute

Measures (printed as JSON, also written to bench/results/backtest_sweep.json):
- the sweep's wall and CPU time (signals + train and test simulation per combination), then
  one full vectorbt run of the best combination, timed apart;
- the reference simulator's time on a subset (first `--ref-markets` markets, `--ref-combos`
  combinations), extrapolated linearly in cells x combinations to the full sweep — an
  extrapolation, said so in the output — and the speed-up; fills and PnL on that subset are
  compared exactly between the two paths. Times are CPU seconds of this process where the
  machine is shared (wall time is reported too);
- peak RSS of the process;
- numba compilation paid by fresh processes: with the project's warm disk cache, and with an
  empty cache for comparison.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kalshi_core.backtest import (
    QuoteArrays,
    compute_signals,
    run_backtest,
    run_kernel,
    run_sweep,
    simulate_reference,
)
from kalshi_core.backtest.kernels import REASON_NAMES
from kalshi_core.backtest.metrics import bucket_ends
from kalshi_core.backtest.quotes import MarketMeta
from kalshi_core.backtest.sweep import split_index

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def synthetic_quotes(n_markets: int, n_bars: int, seed: int = 42) -> QuoteArrays:
    """Random-walk books in cents: 1-3 cent spreads, 0-200 lots, ~3% stale cells in runs,
    empty sides near the bounds, staggered closes with yes/no/void/unresolved results."""
    rng = np.random.default_rng(seed)
    shape = (n_bars, n_markets)
    steps = rng.choice([-1, 0, 0, 0, 0, 1], size=shape).astype(np.int16)
    start = rng.integers(5, 95, size=n_markets)
    mid = np.clip(np.cumsum(steps, axis=0, dtype=np.int32) + start, 1, 98)
    spread = rng.integers(1, 4, size=shape)
    bid_c = np.clip(mid - spread // 2, 0, 99)
    ask_c = np.clip(bid_c + spread, 1, 100)
    # Stale runs: a cell starts a gap with p=0.3% and the gap lasts 10 bars.
    gap_start = rng.random(shape) < 0.003
    stale = np.zeros(shape, dtype=bool)
    for k in range(10):
        stale[k:] |= gap_start[: n_bars - k]
    bid = np.where(stale, np.nan, bid_c / 100)
    ask = np.where(stale, np.nan, ask_c / 100)
    bid_size = np.where(stale, np.nan, rng.integers(0, 200, size=shape).astype(np.float64))
    ask_size = np.where(stale, np.nan, rng.integers(0, 200, size=shape).astype(np.float64))
    mark = pd.DataFrame(bid).ffill().to_numpy()
    index = pd.date_range(T0, periods=n_bars, freq="1min", tz="UTC")
    metas = []
    for j in range(n_markets):
        close_bar = int(rng.integers(n_bars // 3, n_bars + n_bars // 5))
        result = rng.choice(["yes", "no", "void", "none"], p=[0.45, 0.45, 0.02, 0.08])
        close = T0 + timedelta(minutes=close_bar)
        metas.append(
            MarketMeta(
                ticker=f"KXBENCH-{j:04d}",
                result=None if result == "none" else str(result),
                close_time=close,
                settlement_time=close + timedelta(minutes=int(rng.integers(1, 120))),
                fee_type=str(rng.choice(["quadratic", "quadratic_with_maker_fees"])),
                fee_multiplier=Decimal(str(rng.choice(["1", "0.5", "1"]))),
            )
        )
    return QuoteArrays(
        index=index,
        tickers=tuple(m.ticker for m in metas),
        bid=bid,
        ask=ask,
        bid_size=bid_size,
        ask_size=ask_size,
        last=bid,
        mark=mark,
        meta=tuple(metas),
    )


def subset(q: QuoteArrays, n_markets: int) -> QuoteArrays:
    cols = slice(0, n_markets)
    return QuoteArrays(
        index=q.index,
        tickers=q.tickers[cols],
        bid=q.bid[:, cols],
        ask=q.ask[:, cols],
        bid_size=q.bid_size[:, cols],
        ask_size=q.ask_size[:, cols],
        last=q.last[:, cols],
        mark=q.mark[:, cols],
        meta=q.meta[cols],
    )


def grid(n_combos: int) -> list[dict[str, Any]]:
    lookbacks = [10, 20, 30, 45, 60, 90, 120, 180, 240, 360]
    zs = [1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5]
    timeouts = [0, 30, 60, 120, 240, 480, 960, 1440, 2880, 5760]
    full = [
        {"lookback": lb, "entry_z": z, "timeout_bars": to}
        for lb, z, to in itertools.product(lookbacks, zs, timeouts)
    ]
    rng = np.random.default_rng(0)
    picks = rng.choice(len(full), size=min(n_combos, len(full)), replace=False)
    return [full[i] for i in sorted(picks)]


def kernel_fills(orders: np.ndarray) -> list[tuple[Any, ...]]:
    return sorted(
        (int(o[0]), int(o[1]), Decimal(int(o[2])) / 100, Decimal(int(o[3])) / 10_000,
         Decimal(int(o[4])) / 100, REASON_NAMES[int(o[5])])
        for o in orders
    )  # fmt: skip


def compare_subset(
    q: QuoteArrays, combos: list[dict[str, Any]], split: float, freq: str
) -> dict[str, Any]:
    """Reference vs vectorised on the same windows; exact fills and PnL; timings."""
    k = split_index(q, split)
    ends_train = bucket_ends(q.index[:k], freq)
    ends_test = bucket_ends(q.index[k:], freq) + k
    ref_s = vec_s = sig_s = 0.0
    fills = 0
    for combo in combos:
        t = time.process_time()
        _, sig = compute_signals(q, "mean_reversion", combo)
        sig_s += time.process_time() - t
        for t0, t1, beyond, ends in ((0, k, False, ends_train), (k, q.n_bars, True, ends_test)):
            t = time.process_time()
            ref = simulate_reference(q, sig, t0=t0, t1=t1, settle_beyond=beyond, fill_delay_bars=1)
            ref_s += time.process_time() - t
            t = time.process_time()
            run = run_kernel(
                q, sig, t0=t0, t1=t1, settle_beyond=beyond, fill_delay_bars=1, sample_idx=ends
            )
            vec_s += time.process_time() - t
            want = sorted(
                (f.bar, f.market, f.contracts, f.price, f.fee, f.reason) for f in ref.fills
            )
            if kernel_fills(run.orders) != want:
                raise SystemExit(f"MISMATCH in fills for {combo} window [{t0}, {t1})")
            if Decimal(run.pnl_micro) / 1_000_000 != ref.total_pnl:
                raise SystemExit(f"MISMATCH in PnL for {combo}: {run.pnl_micro} vs {ref.total_pnl}")
            fills += len(want)
    # One full vectorbt result on the subset, trade by trade against the reference.
    _, sig = compute_signals(q, "mean_reversion", combos[0])
    res = run_backtest(q, "mean_reversion", combos[0], sharpe_freq=freq)
    ref = simulate_reference(q, sig, fill_delay_bars=1)
    if res.total_pnl != ref.total_pnl or [t.pnl for t in res.trades] != [
        t.pnl for t in sorted(ref.trades, key=lambda r: (r.entry_bar, q.tickers[r.market]))
    ]:
        raise SystemExit("MISMATCH between vectorbt result and reference")
    return {
        "markets": q.n_markets,
        "bars": q.n_bars,
        "combos": len(combos),
        "fills_compared": fills,
        "vectorbt_trades_compared": len(res.trades),
        "identical_fills_and_pnl": True,
        "reference_sim_cpu_s": round(ref_s, 2),
        "vectorised_sim_cpu_s": round(vec_s, 3),
        "signals_cpu_s": round(sig_s, 3),
    }


FRESH = r"""
import json, time
t0 = time.perf_counter()
import numpy as np, pandas as pd
from kalshi_core.backtest import run_backtest
from kalshi_core.backtest.quotes import MarketMeta, QuoteArrays
import vectorbt
t_import = time.perf_counter() - t0
from numba.core import dispatcher
compiled = {"hit": [0, 0.0], "miss": [0, 0.0], "uncached": [0, 0.0]}
orig = dispatcher.Dispatcher.compile
def spy(self, sig):
    hits = sum(self._cache_hits.values()); misses = sum(self._cache_misses.values())
    t = time.perf_counter(); out = orig(self, sig); dt = time.perf_counter() - t
    if sum(self._cache_hits.values()) > hits: kind = "hit"
    elif sum(self._cache_misses.values()) > misses: kind = "miss"
    else: kind = "uncached"
    compiled[kind][0] += 1; compiled[kind][1] += dt
    return out
dispatcher.Dispatcher.compile = spy
rng = np.random.default_rng(1)
idx = pd.date_range("2026-01-01", periods=300, freq="1min", tz="UTC")
bid = np.round(np.clip(0.5 + np.cumsum(rng.normal(0, 0.01, (300, 3)), axis=0), 0.02, 0.9), 2)
metas = [MarketMeta(ticker=f"M{j}", result="yes", close_time=idx[-1]) for j in range(3)]
q = QuoteArrays(index=idx, tickers=tuple(m.ticker for m in metas), bid=bid, ask=bid + 0.02,
                bid_size=np.full(bid.shape, 50.0), ask_size=np.full(bid.shape, 50.0), last=bid,
                mark=bid, meta=tuple(metas))
runs = []
for name in ("mean_reversion", "momentum", "favourite", "mean_reversion"):
    t = time.perf_counter(); run_backtest(q, name, {}); runs.append(time.perf_counter() - t)
print(json.dumps({"import_s": t_import, "runs_s": runs, "kernels": compiled}))
"""


def fresh_process(cache_dir: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run(
        [sys.executable, "-c", FRESH], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=900,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    runs = result["runs_s"]
    # First run of each strategy minus a warm repeat: what compiling/loading kernels costs.
    result["first_run_overhead_s"] = round(sum(runs[:3]) - 3 * runs[3], 3)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--markets", type=int, default=500)
    ap.add_argument("--bars", type=int, default=20_000)
    ap.add_argument("--combos", type=int, default=1000)
    ap.add_argument("--ref-markets", type=int, default=25)
    ap.add_argument("--ref-combos", type=int, default=2)
    ap.add_argument("--freq", default="1h")
    ap.add_argument("--quick", action="store_true", help="100 markets x 5,000 bars x 50 combos")
    ap.add_argument("--skip-fresh", action="store_true", help="skip the fresh-process timings")
    args = ap.parse_args()
    if args.quick:
        args.markets, args.bars, args.combos = 100, 5_000, 50
    report: dict[str, Any] = {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": "2 cores, 24 GiB, Debian 12, Python 3.11.7 (shared with other jobs)",
    }
    if not args.skip_fresh:
        report["fresh_process_warm_cache"] = fresh_process(None)  # the project's .numba_cache
        with tempfile.TemporaryDirectory() as empty:
            report["fresh_process_empty_cache"] = fresh_process(empty)
        report["fresh_process_warm_cache_again"] = fresh_process(None)
        print(json.dumps(report, indent=2), flush=True)

    t = time.perf_counter()
    quotes = synthetic_quotes(args.markets, args.bars)
    report["build_quotes_s"] = round(time.perf_counter() - t, 2)
    combos = grid(args.combos)

    # Warm-up on a tiny slice so the sweep timing excludes kernel loading.
    run_sweep(subset(quotes, 2), "mean_reversion", combos[:1], full_result=False)

    t, c = time.perf_counter(), time.process_time()
    sweep = run_sweep(
        quotes, "mean_reversion", combos, split=0.7, sharpe_freq=args.freq, full_result=False
    )
    sweep_s, sweep_cpu = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    best = run_backtest(quotes, "mean_reversion", sweep.best_params or {}, sharpe_freq=args.freq)
    best_s, best_cpu = time.perf_counter() - t, time.process_time() - c
    report["sweep"] = {
        "markets": args.markets,
        "bars": args.bars,
        "combos": len(combos),
        "cells_per_combo": args.markets * args.bars,
        "wall_s": round(sweep_s, 1),
        "cpu_s": round(sweep_cpu, 1),
        "per_combo_cpu_ms": round(1000 * sweep_cpu / len(combos), 1),
        "best_full_vectorbt_run_wall_s": round(best_s, 2),
        "best_full_vectorbt_run_cpu_s": round(best_cpu, 2),
        "best_params": sweep.best_params,
        "best_train_sharpe": sweep.best_train_sharpe,
        "out_of_sample_sharpe": sweep.out_of_sample_sharpe,
        "deflated_sharpe": sweep.deflated_sharpe,
        "best_full_run_trades": best.num_trades,
        "best_full_run_pnl": str(best.total_pnl),
    }
    print(json.dumps(report, indent=2), flush=True)

    sub = subset(quotes, args.ref_markets)
    cmp_ = compare_subset(sub, combos[: args.ref_combos], 0.7, args.freq)
    scale = (args.markets / args.ref_markets) * (len(combos) / args.ref_combos)
    ref_full = (cmp_["reference_sim_cpu_s"] + cmp_["signals_cpu_s"]) * scale
    report["reference_subset"] = cmp_
    report["reference_extrapolated"] = {
        "note": "EXTRAPOLATED linearly in markets x combinations from the subset above (CPU s)",
        "reference_sweep_cpu_s": round(ref_full, 0),
        "speedup_whole_sweep_cpu": round(ref_full / sweep_cpu, 1),
        "speedup_simulation_only_cpu": round(
            cmp_["reference_sim_cpu_s"] / max(cmp_["vectorised_sim_cpu_s"], 1e-9), 1
        ),
    }
    report["peak_rss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    text = json.dumps(report, indent=2)
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "backtest_sweep.json").write_text(text)


if __name__ == "__main__":
    main()
