"""Benchmark: importing the public dataset's Parquet layout streams in bounded memory.

    .venv/bin/python -m bench.import_dump [--sizes 75000,300000] [--files 30] [--markets 3000]
                                          [--realdata DIR]

For each size, writes a synthetic dump in the layout of the largest public Kalshi dataset
(`kalshi/markets/*.parquet`, `kalshi/trades/*.parquet`, written as its indexer writes them:
cents as int64, times as timestamp[ns, UTC], `_fetched_at` naive) into a temporary folder, then
imports it with `python -m kalshi_core.imports` in a child process into a throwaway database
(bench/throwaway_db.py: created on the server of BENCH_DATABASE_ADMIN_URL, else
TEST_DATABASE_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/postgres, and dropped at
the end), twice: the first import writes everything, the second must change nothing.

Reported per size: rows, wall seconds and rows/s of both imports, and the child's peak RSS
(wait4 of the finished child). Bounded memory means the peak stays flat as the size grows
(it is set by the batch size and one Parquet row group, not by the rows). With `--realdata DIR`
(or KALSHI_REALDATA_DIR) the real trade tapes of that folder (multi_trades.csv.gz,
econ_trades.csv.gz) are imported too; without it, or when the folder lacks them, that part is
skipped with a message.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.throwaway_db import throwaway_database
from kalshi_core.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
T0_NS = 1_735_689_600 * 10**9  # 2025-01-01T00:00:00Z
REALDATA_TAPES = ("multi_trades.csv.gz", "econ_trades.csv.gz")


def write_dump(root: Path, trades: int, files: int, markets: int, seed: int = 7) -> int:
    """The public layout with `trades` trades over `markets` markets; returns bytes written."""
    rng = np.random.default_rng(seed)
    tickers = [f"KXBENCH-25JAN{i // 20:03d}-T{i % 20}" for i in range(markets)]
    (root / "markets").mkdir(parents=True)
    (root / "trades").mkdir(parents=True)
    fetched = pa.array([T0_NS] * markets, pa.timestamp("ns"))
    market_table = pa.table(
        {
            "ticker": tickers,
            "event_ticker": [t.rsplit("-", 1)[0] for t in tickers],
            "market_type": ["binary"] * markets,
            "title": [f"Bench market {i}" for i in range(markets)],
            "yes_sub_title": [""] * markets,
            "no_sub_title": [""] * markets,
            "status": ["finalized"] * markets,
            "yes_bid": pa.array([None] * markets, pa.float64()),
            "yes_ask": pa.array([None] * markets, pa.float64()),
            "last_price": rng.integers(1, 100, markets),
            "volume": rng.integers(0, 10_000, markets),
            "result": rng.choice(["yes", "no"], markets).tolist(),
            "created_time": pa.array([T0_NS] * markets, pa.timestamp("ns", tz="UTC")),
            "open_time": pa.array([T0_NS] * markets, pa.timestamp("ns", tz="UTC")),
            "close_time": pa.array([T0_NS + 86_400 * 10**9] * markets, pa.timestamp("ns", "UTC")),
            "_fetched_at": fetched,
        }
    )
    pq.write_table(market_table, root / "markets" / f"markets_0_{markets}.parquet")
    per_file = -(-trades // files)
    for start in range(0, trades, per_file):
        n = min(per_file, trades - start)
        yes = rng.integers(1, 100, n)
        table = pa.table(
            {
                "trade_id": [str(uuid.UUID(int=int(x))) for x in rng.integers(0, 2**62, n)],
                "ticker": rng.choice(tickers, n).tolist(),
                "count": rng.integers(1, 500, n),
                "yes_price": yes,
                "no_price": 100 - yes,
                "taker_side": rng.choice(["yes", "no"], n).tolist(),
                "created_time": pa.array(
                    T0_NS + np.sort(rng.integers(0, 86_400 * 10**6, n)) * 1000,
                    pa.timestamp("ns", tz="UTC"),
                ),
                "_fetched_at": pa.array([T0_NS] * n, pa.timestamp("ns")),
            }
        )
        pq.write_table(table, root / "trades" / f"trades_{start}_{start + per_file}.parquet")
    return sum(p.stat().st_size for p in root.rglob("*.parquet"))


def import_once(database_url: str, paths: list[Path], batch_rows: int) -> dict[str, Any]:
    """`python -m kalshi_core.imports` in a child; its wall time, output and peak RSS."""
    cmd = [sys.executable, "-m", "kalshi_core.imports", *map(str, paths)]
    cmd += ["--batch-rows", str(batch_rows)]
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        # wait4 gives this child's own resource usage (its peak RSS), unlike getrusage of
        # all children, which keeps the maximum over every child so far
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise SystemExit(f"import failed ({child.returncode}):\n{stderr}")
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "summary": stdout.strip().splitlines(),
    }


def bench_size(trades: int, files: int, markets: int, batch_rows: int) -> dict[str, Any]:
    with throwaway_database("kalshi_bench_import") as url:
        upgrade(url, partition_days_ahead=1)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "kalshi"
            size = write_dump(root, trades, files, markets)
            first = import_once(url, [root], batch_rows)
            second = import_once(url, [root], batch_rows)
        rows = trades + markets
        return {
            "trades": trades,
            "markets": markets,
            "files": files + 1,
            "parquet_mb": round(size / 2**20, 1),
            "first_import_s": first["wall_s"],
            "first_rows_per_s": round(rows / first["wall_s"]),
            "first_peak_rss_mb": first["peak_rss_mb"],
            "second_import_s": second["wall_s"],
            "second_peak_rss_mb": second["peak_rss_mb"],
            "second_summary": second["summary"][:3],
        }


def bench_realdata(folder: Path | None, batch_rows: int) -> dict[str, Any]:
    if folder is None:
        return {"skipped": "no real-data folder given (--realdata DIR or KALSHI_REALDATA_DIR)"}
    tapes = [folder / t for t in REALDATA_TAPES if (folder / t).exists()]
    if not tapes:
        return {"skipped": f"{folder} holds none of {', '.join(REALDATA_TAPES)}"}
    with throwaway_database("kalshi_bench_import") as url:
        upgrade(url, partition_days_ahead=1)
        run = import_once(url, tapes, batch_rows)
        return {"files": [t.name for t in tapes], "import_s": run["wall_s"], **run}


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.import_dump")
    p.add_argument("--sizes", default="75000,300000", help="trade counts, comma-separated")
    p.add_argument("--files", type=int, default=30, help="trade files per dump")
    p.add_argument("--markets", type=int, default=3000)
    p.add_argument("--batch-rows", type=int, default=20_000)
    p.add_argument("--realdata", type=Path, default=os.environ.get("KALSHI_REALDATA_DIR"))
    args = p.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = [bench_size(n, args.files, args.markets, args.batch_rows) for n in sizes]
    out = {
        "bench": "import_dump",
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
        "python": platform.python_version(),
        "batch_rows": args.batch_rows,
        "sizes": results,
        "realdata": bench_realdata(Path(args.realdata) if args.realdata else None, args.batch_rows),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
