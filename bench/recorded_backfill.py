"""Report: the real data sets replayed through the simulator and loaded by the project's backfill.

    .venv/bin/python -m bench.recorded_backfill --data DIR        # or KALSHI_REALDATA_DIR=DIR

For each data set found in DIR (multi, nba, econ: the layouts of docs/REALDATA.md) it starts
`python -m kalshi_sim --recorded DIR --dataset NAME` in its own process (limiter off), creates a
throwaway database on the local PostgreSQL, runs `HistoryBackfill` (what the `market_trades` /
`market_candles` assets run) through the real client over every day of the recording for every
series the simulator lists (trades for tapes, 1-minute candles for recorded candles), then
compares the database with the files, read here with the csv module: markets, trades and
contracts per market, results per market. Prints one line per data set and the figures as JSON;
exits 1 if anything differs, 2 if DIR holds no data set.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import io
import logging
import os
import platform
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg2

from bench.throwaway_db import create_database, drop_database
from kalshi_core.history import BackfillReport, HistoryBackfill, HistoryUniverse
from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.migrate import upgrade

KEY_FILES = {"multi": "multi_closed_markets", "nba": "nba_candles_1m", "econ": "econ_trades"}
CENT = Decimal("0.01")


# --- the files, read independently of the simulator -------------------------------------------


def _rows(root: Path, name: str) -> list[dict[str, str]]:
    for path in (root / f"{name}.csv", root / f"{name}.csv.gz"):
        if path.exists():
            if path.suffix == ".gz":
                with gzip.open(path) as fh:
                    raw = fh.read()
            else:
                raw = path.read_bytes()
            return list(csv.DictReader(io.StringIO(raw.decode())))
    raise FileNotFoundError(f"{root}/{name}.csv[.gz]")


@dataclass
class FileFacts:
    """Per market: trades, contracts, result ("" none) and settlement value (None: none)."""

    trades: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    contracts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    results: dict[str, tuple[str, Decimal | None]] = field(default_factory=dict)
    candles: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    result_kind: str = "recorded"


def read_facts(root: Path, dataset: str) -> FileFacts:
    f = FileFacts()
    if dataset == "multi":
        for r in _rows(root, "multi_closed_markets"):
            sv = r["settlement_value"]
            f.results[r["ticker"]] = (r["result"], Decimal(sv) * CENT if sv else None)
        for r in _rows(root, "multi_trades"):
            f.trades[r["ticker"]] += 1
            f.contracts[r["ticker"]] += Decimal(r["count"])
    elif dataset == "econ":
        f.result_kind = "none recorded"
        for r in _rows(root, "econ_trades"):
            f.trades[r["ticker"]] += 1
            f.contracts[r["ticker"]] += Decimal(r["count"])
            f.results[r["ticker"]] = ("", None)
    else:
        f.result_kind = "inferred"
        for r in _rows(root, "nba_candles_1m"):
            f.candles[r["ticker"]] += 1
            f.contracts[r["ticker"]] += Decimal(r["volume"])
            f.results[r["ticker"]] = ("", None)
        for r in _rows(root, "nba_results_inferred"):
            res = r["result_inferred"]
            f.results[r["ticker"]] = (res, None if not res else Decimal(res == "yes"))
    return f


# --- one data set ------------------------------------------------------------------------------


def _start_sim(root: Path, dataset: str, port: int) -> tuple[subprocess.Popen[bytes], float]:
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "kalshi_sim", "--recorded", str(root), "--dataset", dataset]
    cmd += ["--port", str(port), "--rate-limit", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"kalshi_sim --recorded {root} --dataset {dataset} failed:\n{err}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/_sim/stats", timeout=2).raise_for_status()
            return proc, time.perf_counter() - t0
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("simulator did not start")


async def _backfill(
    base_url: str, db_url: str, dataset: str, stats: dict[str, Any], days_per_fetch: int | None
) -> list[BackfillReport]:
    first = datetime.fromisoformat(stats["first"]).date()
    end = date.fromordinal(datetime.fromisoformat(stats["sim_time"]).date().toordinal() + 1)
    db = await Database.connect(db_url, min_size=1, max_size=4)
    try:
        repos = repositories(db)
        async with KalshiClient(base_url, rate_limiter=None, timeout_s=300.0) as client:
            series = [s.ticker for s in await client.get_series_list()]
            universe = HistoryUniverse.of(series=series)
            runner = HistoryBackfill(client, repos.history, markets=repos.markets)
            if dataset == "nba":
                kw: dict[str, Any] = {"period": 1, "days_per_fetch": days_per_fetch}
                return [await runner.candles(universe, first, end, **kw)]
            return [await runner.trades(universe, first, end, days_per_fetch=days_per_fetch)]
    finally:
        await db.close()


def _stored(db_url: str) -> dict[str, Any]:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT ticker, result, settlement_value FROM markets")
        results = {t: (r or "", v) for t, r, v in cur.fetchall()}
        cur.execute("SELECT ticker, count(*), sum(count) FROM market_trades GROUP BY ticker")
        trades = {t: (n, c) for t, n, c in cur.fetchall()}
        cur.execute(
            "SELECT ticker, count(*), sum(volume) FROM market_candles "
            "WHERE period_minutes = 1 GROUP BY ticker"
        )
        candles = {t: (n, v) for t, n, v in cur.fetchall()}
    return {"results": results, "trades": trades, "candles": candles}


def compare(facts: FileFacts, stored: dict[str, Any], dataset: str) -> dict[str, Any]:
    """Per-market agreement between the files and the database."""
    markets = set(facts.results)
    counted = stored["candles"] if dataset == "nba" else stored["trades"]
    file_counts = facts.candles if dataset == "nba" else facts.trades
    count_ok = sum(1 for t in markets if counted.get(t, (0, 0))[0] == file_counts.get(t, 0))
    contracts_ok = sum(
        1 for t in markets if (counted.get(t, (0, 0))[1] or 0) == facts.contracts.get(t, 0)
    )
    results_ok = sum(1 for t in markets if stored["results"].get(t) == facts.results[t])
    return {
        "markets_file": len(markets),
        "markets_stored": len(markets & set(stored["results"])),
        "rows_kind": "candles_1m" if dataset == "nba" else "trades",
        "rows_file": sum(file_counts.values()),
        "rows_stored": sum(n for n, _c in counted.values()),
        "markets_rows_equal": count_ok,
        "contracts_file": str(sum(facts.contracts.values(), Decimal(0))),
        "contracts_stored": str(sum((c or 0 for _n, c in counted.values()), Decimal(0))),
        "markets_contracts_equal": contracts_ok,
        "results_kind": facts.result_kind,
        "results_with_value": sum(1 for r, _v in facts.results.values() if r),
        "markets_results_equal": results_ok,
        "ok": count_ok == contracts_ok == results_ok == len(markets)
        and len(markets & set(stored["results"])) == len(markets),
    }


def run_dataset(root: Path, dataset: str, port: int, days_per_fetch: int | None) -> dict[str, Any]:
    name = f"kalshi_bench_recorded_{uuid.uuid4().hex[:8]}"
    db_url = create_database(name)
    proc, startup_s = _start_sim(root, dataset, port)
    try:
        upgrade(db_url, partition_days_ahead=1)
        base = f"http://127.0.0.1:{port}"
        stats = httpx.get(f"{base}/_sim/stats", timeout=30).json()
        t0 = time.perf_counter()
        reports = asyncio.run(
            _backfill(f"{base}/trade-api/v2", db_url, dataset, stats, days_per_fetch)
        )
        backfill_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        facts = read_facts(root, dataset)
        check = compare(facts, _stored(db_url), dataset)
        check_s = time.perf_counter() - t1
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        drop_database(name)
    r = reports[0]
    return {
        "dataset": dataset,
        **check,
        "recording": f"{stats['first'][:10]} .. {stats['last'][:10]}",
        "cutoff": stats["cutoff"],
        "historical_markets": stats["historical_markets"],
        "days": len(r.days),
        "rows_live": r.rows_live,
        "rows_historical": r.rows_historical,
        "requests": r.requests,
        "requests_live": r.calls_live,
        "requests_historical": r.calls_historical,
        "sim_startup_s": round(startup_s, 1),
        "backfill_s": round(backfill_s, 1),
        "check_s": round(check_s, 1),
    }


def _line(r: dict[str, Any]) -> str:
    return (
        f"{r['dataset']:<6} markets {r['markets_stored']}/{r['markets_file']}  "
        f"{r['rows_kind']} {r['rows_stored']}/{r['rows_file']} "
        f"({r['markets_rows_equal']} markets equal)  "
        f"contracts {r['contracts_stored']}/{r['contracts_file']} "
        f"({r['markets_contracts_equal']} equal)  "
        f"results {r['markets_results_equal']}/{r['markets_file']} matched "
        f"[{r['results_kind']}: {r['results_with_value']} with a result]  "
        f"backfill {r['backfill_s']} s ({r['requests']} requests, {r['days']} days)  "
        f"{'OK' if r['ok'] else 'MISMATCH'}"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--data",
        type=Path,
        default=os.environ.get("KALSHI_REALDATA_DIR"),
        help="folder of the real data files (default: $KALSHI_REALDATA_DIR)",
    )
    p.add_argument("--dataset", action="append", choices=tuple(KEY_FILES), default=[])
    p.add_argument("--days-per-fetch", type=int, default=0, help="0: the assets' default")
    p.add_argument("--port", type=int, default=18775)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    root: Path | None = args.data
    found = [
        d
        for d in (args.dataset or list(KEY_FILES))
        if root is not None
        and any((root / f"{KEY_FILES[d]}{ext}").exists() for ext in (".csv", ".csv.gz"))
    ]
    if root is None or not found:
        sys.stderr.write(
            "no real data set found: pass --data DIR (or set KALSHI_REALDATA_DIR) to a folder "
            "holding multi_closed_markets.csv, nba_candles_1m.csv.gz or econ_trades.csv.gz "
            "(docs/REALDATA.md)\n"
        )
        raise SystemExit(2)
    results = []
    for i, dataset in enumerate(found):
        results.append(run_dataset(root, dataset, args.port + i, args.days_per_fetch or None))
        sys.stdout.write(_line(results[-1]) + "\n")
        sys.stdout.flush()
    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "data": str(root),
        "datasets": results,
    }
    sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")
    raise SystemExit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
