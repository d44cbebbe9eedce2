"""Which strategies clear Sharpe > 0.5 out of sample? A parameter sweep per strategy on
backfilled simulator history.

    .venv/bin/python -m bench.strategy_report [--markets 400] [--days 30] [--period 60]

Starts `kalshi_sim` (its own process, frozen clock, limiter off), backfills `--days` of
`--period`-minute candles of every series into a throwaway database through `HistoryBackfill`
(the same path as the Dagster `market_candles` asset), then for each registered strategy runs a
grid sweep with a 70/30 time split and reports the best combination by train Sharpe, its
out-of-sample Sharpe and PnL, and the deflated Sharpe ratio of the selection.

The simulator's prices are calibrated by construction (results are drawn from the latent
probability the quotes follow), so an honest engine should find no lasting edge here: this is
the control experiment, not a claim about real Kalshi markets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psutil

from bench.backfill import _start_sim
from bench.throwaway_db import create_database, drop_database
from kalshi_core.backtest import load_quotes, run_sweep
from kalshi_core.history import HistoryBackfill, HistoryUniverse
from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.migrate import upgrade

GRIDS: dict[str, dict[str, list[Any]]] = {
    "favourite": {
        "lo": ["0.80", "0.85", "0.90"],
        "hi": ["0.95", "0.97"],
        "hours_to_close": [6, 24, 72],
    },
    "mean_reversion": {"lookback": [12, 24, 48], "entry_z": [1.5, 2.0, 2.5]},
    "momentum": {"lookback": [12, 24, 48], "trail_stop": ["0.03", "0.05", "0.10"]},
}


async def run(args: argparse.Namespace, base_url: str, db_url: str) -> dict[str, Any]:
    db = await Database.connect(db_url, min_size=1, max_size=4)
    repos = repositories(db)
    today = datetime.now(UTC).date()
    first, end = today - timedelta(days=args.days), today
    async with KalshiClient(base_url, rate_limiter=None, timeout_s=300.0) as client:
        series = [s.ticker for s in await client.get_series_list()]
        await repos.series.upsert_many(await client.get_series_list())
        backfill = HistoryBackfill(client, repos.history, markets=repos.markets)
        report = await backfill.candles(
            HistoryUniverse.of(series=series), first, end, period=args.period
        )
    start_dt = datetime.combine(first, datetime.min.time(), UTC)
    end_dt = datetime.combine(end, datetime.min.time(), UTC)
    async with db.acquire() as conn:
        tickers = [
            r["ticker"]
            for r in await conn.fetch(
                "SELECT DISTINCT ticker FROM market_candles WHERE period_minutes = $1", args.period
            )
        ]
    quotes = await load_quotes(
        repos,
        tickers,
        start_dt,
        end_dt,
        source="candles",
        period_minutes=args.period,
        freq=f"{args.period}min",
        staleness=f"{2 * args.period}min",
    )
    out: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": f"simulator seed {args.seed}: {report.rows} {args.period}-min candles of "
        f"{len(tickers)} markets over {args.days} days",
        "strategies": {},
    }
    for name, grid in GRIDS.items():
        sweep = run_sweep(quotes, name, grid, split=0.7, sharpe_freq="1D", full_result=False)
        best = sweep.rows[sweep.best_index] if sweep.best_index is not None else None
        out["strategies"][name] = {
            "trials": sweep.n_trials,
            "best_params": sweep.best_params,
            "train_sharpe": sweep.best_train_sharpe,
            "oos_sharpe": sweep.out_of_sample_sharpe,
            "deflated_sharpe": sweep.deflated_sharpe,
            "oos_pnl": str(best.test_pnl) if best else None,
            "oos_trades": best.test_trades if best else None,
            "clears_0.5_oos": bool(
                sweep.out_of_sample_sharpe is not None and sweep.out_of_sample_sharpe > 0.5
            ),
        }
    await db.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markets", type=int, default=400)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--period", type=int, default=60, choices=[1, 60, 1440])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--port", type=int, default=18791)
    ap.add_argument(
        "--dynamics",
        choices=("busy", "calibrated"),
        default="busy",
        help="simulator dynamics (busy: the figures of docs/STRATEGIES.md)",
    )
    args = ap.parse_args()
    args.rate = 0
    sim = _start_sim(args)
    name = f"kalshi_bench_{uuid.uuid4().hex[:8]}"
    db_url = create_database(name)
    try:
        upgrade(db_url, partition_days_ahead=1)
        result = asyncio.run(run(args, f"http://127.0.0.1:{args.port}/trade-api/v2", db_url))
        print(json.dumps(result, indent=2, default=str))
    finally:
        drop_database(name)
        psutil.Process(sim.pid).kill()


if __name__ == "__main__":
    main()
