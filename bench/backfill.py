"""Benchmark: history backfill of N markets x D days from the simulator, rate-limited.

    .venv/bin/python -m bench.backfill --markets 1000 --days 30 --periods 1

Starts `kalshi_sim` in its own process (so its CPU does not share this process's GIL) with its
limiter at `--rate` requests/s, creates a throwaway database on the local PostgreSQL, and runs
`HistoryBackfill` for trades and each candle period over the last `--days` full UTC days of
every series of the universe, with the client's token bucket at `--rate` too (Basic tier: 20).

Reports per part: requests, wall time, the theoretical floor (requests / rate), their ratio,
rows, and the CPU seconds the simulator and this process spent (the simulator computes every
trade and candle in Python: when its CPU time approaches the wall time, the server, not the
rate limit, is the bottleneck).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import psutil

from bench.throwaway_db import create_database, drop_database
from kalshi_core.history import BackfillReport, HistoryBackfill, HistoryUniverse
from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.kalshi.ratelimit import TokenBucket
from kalshi_core.logs import get_logger
from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.migrate import upgrade

log = get_logger("bench.backfill")


def _start_sim(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "kalshi_sim",
        "--port",
        str(args.port),
        "--markets",
        str(args.markets),
        "--mve-markets",
        "0",
        "--seed",
        str(args.seed),
        "--rate-limit",
        str(args.rate),
        "--time-scale",
        "0",
        "--dynamics",
        getattr(args, "dynamics", "busy"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{args.port}/_sim/stats", timeout=2).raise_for_status()
            return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("simulator did not start")


async def _run(args: argparse.Namespace, base_url: str, db_url: str, sim: psutil.Process) -> None:
    db = await Database.connect(db_url, min_size=1, max_size=4)
    repos = repositories(db)
    limiter = TokenBucket(args.rate, args.rate) if args.rate > 0 else None
    today = datetime.now(UTC).date()
    first, end = today - timedelta(days=args.days), today
    me = psutil.Process()
    results: list[dict[str, Any]] = []
    async with KalshiClient(
        base_url, rate_limiter=limiter, timeout_s=300.0, max_concurrency=args.concurrency // 2
    ) as client:
        series = [s.ticker for s in await client.get_series_list()]
        universe = HistoryUniverse.of(series=series)
        runner = HistoryBackfill(
            client, repos.history, markets=repos.markets, concurrency=args.concurrency
        )
        parts: list[tuple[str, int | None]] = [("trades", None)] if args.trades else []
        parts += [("candles", p) for p in args.periods]
        for kind, period in parts:
            cpu_sim0, cpu_me0 = sim.cpu_times(), me.cpu_times()
            if period is None:
                report: BackfillReport = await runner.trades(universe, first, end)
            else:
                report = await runner.candles(universe, first, end, period=period)
            cpu_sim1, cpu_me1 = sim.cpu_times(), me.cpu_times()
            floor = report.requests / args.rate if args.rate > 0 else 0.0
            results.append(
                {
                    "part": kind if period is None else f"candles_{period}m",
                    "markets": report.markets,
                    "days": len(report.days),
                    "rows": report.rows,
                    "rows_live": report.rows_live,
                    "rows_historical": report.rows_historical,
                    "requests": report.requests,
                    "retries": report.retries,
                    "http_429s": report.http_429s,
                    "wall_s": round(report.wall_s, 1),
                    "floor_s": round(floor, 1),
                    "ratio": round(report.wall_s / floor, 2) if floor else None,
                    "sim_cpu_s": round(
                        (cpu_sim1.user + cpu_sim1.system) - (cpu_sim0.user + cpu_sim0.system), 1
                    ),
                    "client_cpu_s": round(
                        (cpu_me1.user + cpu_me1.system) - (cpu_me0.user + cpu_me0.system), 1
                    ),
                }
            )
            log.info("bench part done", extra=results[-1])
    await db.close()
    total_req = sum(r["requests"] for r in results)
    total_wall = sum(r["wall_s"] for r in results)
    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "markets_in_sim": args.markets,
        "days": args.days,
        "rate_per_s": args.rate,
        "concurrency": args.concurrency,
        "parts": results,
        "total_requests": total_req,
        "total_wall_s": round(total_wall, 1),
        "total_floor_s": round(total_req / args.rate, 1) if args.rate else None,
        "total_ratio": round(total_wall / (total_req / args.rate), 2) if args.rate else None,
    }
    sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--markets", type=int, default=1000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--periods", type=int, nargs="*", default=[1], help="candle periods (min)")
    p.add_argument("--no-trades", dest="trades", action="store_false")
    p.add_argument("--rate", type=float, default=20.0, help="client and server limit, req/s")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--port", type=int, default=18765)
    p.add_argument(
        "--dynamics",
        choices=("busy", "calibrated"),
        default="busy",
        help="simulator dynamics (busy: every market trades, the worst case measured so far)",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    name = f"kalshi_bench_backfill_{uuid.uuid4().hex[:8]}"
    db_url = create_database(name)
    proc = _start_sim(args)
    try:
        upgrade(db_url, partition_days_ahead=1)
        asyncio.run(
            _run(
                args, f"http://127.0.0.1:{args.port}/trade-api/v2", db_url, psutil.Process(proc.pid)
            )
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        drop_database(name)


if __name__ == "__main__":
    main()
