"""Benchmark: hot rows vs the Parquet archive (issue 14's goals).

    .venv/bin/python -m bench.archive [--markets 1000] [--days 30] [--rows-per-day 200]

In a throwaway database it writes `--days` finished UTC days of `market_snapshots` for
`--markets` markets (`--rows-per-day` stored rows per market and day: a change-only history,
prices on a random walk in whole cents, sizes and volumes as integers of contracts, the shape
Kalshi's quotes have), generated inside PostgreSQL. Then, one step at a time:

1. hot bytes per row: heap + indexes + TOAST of the day partitions / rows (after VACUUM);
2. reads while every day is hot: `load_quotes` of all markets over all days (1-minute grid,
   as a backtest asks) and the storage read alone (`snapshot_frame`), and one market's history
   page (`/api/v1/markets/{ticker}/history?limit=500` on one day) through the API (uvicorn in its
   own process, sequential requests, p50 / p95);
3. archive every day (`archive_day`: COPY out, Parquet, verify, record) and drop the partitions
   (`drop_expired`); rows/s of the archive step;
4. archived bytes per row: the files' bytes / rows, and each column's share (its compressed
   column chunks / rows; the rest is footers and headers);
5. the same reads with every day archived (a fresh API process: no cached state).

Goals: hot <= 80 B/row; archived <= 10 B/row; load 30 days x 1,000 markets from the archive
< 5 s; the archived history page within 2x of the hot one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.throwaway_db import create_database, drop_database

ROOT = Path(__file__).resolve().parent.parent

# One day of one market: `rows` change-only rows spread over the day, a bid on a clamped random
# walk in whole cents (1..97), a 1-3 cent spread, sizes up to 5,000 contracts, cumulative volume.
_FILL_DAY = """
INSERT INTO market_snapshots (observed_at, sequence, market_id, source, yes_bid, yes_ask,
    last_price, yes_bid_size, yes_ask_size, volume, volume_24h, open_interest)
SELECT t, (extract(epoch FROM t) * 1000)::int8, m, 0,
       bid * 10000, (bid + spread) * 10000, (bid + (k % 2) * spread) * 10000,
       bid_size * 100, ask_size * 100, vol * 100, least(vol, vol24) * 100, (vol / 3) * 100
FROM (
    SELECT m, k, spread, bid_size, ask_size,
           $1::timestamptz + make_interval(secs => (k + jitter) * 86400.0 / $3) AS t,
           least(97, greatest(1, base + sum(step) OVER w)) AS bid,
           $4::int8 + sum(traded) OVER w AS vol,
           (sum(traded) OVER w) + 500 AS vol24
    FROM (
        SELECT m, k, random() * 0.9 AS jitter, (random() * 3)::int - 1 AS step,
               1 + (random() * 2)::int AS spread,
               1 + (random() * 5000)::int8 AS bid_size, 1 + (random() * 5000)::int8 AS ask_size,
               (random() * 40)::int8 AS traded, 20 + (m * 37) % 60 AS base
        FROM generate_series(1, $2) AS m, generate_series(0, $3 - 1) AS k
    ) s
    WINDOW w AS (PARTITION BY m ORDER BY k)
) r
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _fill(url: str, markets: int, days: list[date], rows_per_day: int) -> int:
    import asyncpg

    from kalshi_core.storage.partitions import ensure_partitions

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT setseed(0.42)")
        await conn.executemany(
            "INSERT INTO markets (ticker, event_ticker, series_ticker, title, status) "
            "VALUES ($1, $2, 'KXBENCH', $1, 'active')",
            [(f"KXBENCH-26DEC-M{i:05d}", f"KXBENCH-26DEC-E{i // 10:04d}") for i in range(markets)],
        )
        await ensure_partitions(conn, "market_snapshots", days)
        for i, day in enumerate(days):
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            await conn.execute(_FILL_DAY, start, markets, rows_per_day, i * rows_per_day * 20)
        await conn.execute("VACUUM ANALYZE market_snapshots")
        total: int = await conn.fetchval("SELECT count(*) FROM market_snapshots")
        return total
    finally:
        await conn.close()


async def _hot_bytes(url: str) -> dict[str, Any]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS parts, sum(pg_table_size(inhrelid)) AS heap, "
            "sum(pg_indexes_size(inhrelid)) AS idx FROM pg_inherits "
            "WHERE inhparent = 'market_snapshots'::regclass"
        )
        rows: int = await conn.fetchval("SELECT count(*) FROM market_snapshots")
        tuple_bytes = await conn.fetchval(
            "SELECT avg(pg_column_size(s.*)) FROM (SELECT * FROM market_snapshots LIMIT 10000) s"
        )
    finally:
        await conn.close()
    heap, idx = int(row["heap"] or 0), int(row["idx"] or 0)
    return {
        "rows": rows,
        "heap_bytes_per_row": round(heap / max(rows, 1), 1),
        "index_bytes_per_row": round(idx / max(rows, 1), 1),
        "bytes_per_row": round((heap + idx) / max(rows, 1), 1),
        "avg_tuple_bytes": round(float(tuple_bytes or 0), 1),
    }


async def _reads(url: str, tickers: list[str], start: datetime, end: datetime) -> dict[str, Any]:
    """load_quotes and snapshot_frame over every market and day, in a fresh Database."""
    from kalshi_core.backtest.loading import load_quotes
    from kalshi_core.storage.database import Database, repositories

    db = await Database.connect(url, max_size=4)
    try:
        repos = repositories(db)
        t0 = time.perf_counter()
        frame = await repos.markets.snapshot_frame(tickers, start, end, as_of=True)
        frame_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        quotes = await load_quotes(repos, tickers, start, end, freq="1min")
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        await load_quotes(repos, tickers, start, end, freq="1min")
        again_s = time.perf_counter() - t0
    finally:
        await db.close()
    return {
        "frame_rows": len(frame),
        "snapshot_frame_s": round(frame_s, 2),
        "load_quotes_s": round(load_s, 2),
        "load_quotes_again_s": round(again_s, 2),
        "grid": [int(x) for x in quotes.bid.shape],
    }


def _api_page(url: str, ticker: str, day: date, n: int) -> dict[str, Any]:
    """p50/p95 of one market's history page on `day` through a fresh API process."""
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url)
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "kalshi_api.main:app", "--port", str(port)),
            *("--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    params: dict[str, str | int] = {
        "limit": 500,
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": (start + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
    }
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(300):
                try:
                    if client.get("/health").status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            path = f"/api/v1/markets/{ticker}/history"
            first = client.get(path, params=params)
            first.raise_for_status()
            body = first.content
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                r = client.get(path, params=params)
                times.append(time.perf_counter() - t0)
                r.raise_for_status()
    finally:
        proc.terminate()
        proc.wait()
    return {
        "items": len(orjson.loads(body)),
        "p50_ms": round(_pct(times, 0.5) * 1000, 2),
        "p95_ms": round(_pct(times, 0.95) * 1000, 2),
        "body_sha": uuid.uuid5(uuid.NAMESPACE_OID, body.hex()).hex[:12],
    }


async def _archive(url: str, days: list[date], store_url: str) -> dict[str, Any]:
    from kalshi_core.storage.archive import ArchiveStore
    from kalshi_core.storage.database import Database
    from kalshi_core.storage.postgres.archive import PostgresArchiveRepository

    db = await Database.connect(url, max_size=2)
    try:
        # no drop grace: no other process reads while the bench drops (each API page is read
        # by a fresh process afterwards)
        repo = PostgresArchiveRepository(db, ArchiveStore(store_url), drop_grace_s=0.0)
        today = datetime.now(UTC).date()
        per_day = []
        t0 = time.perf_counter()
        for day in days:
            d0 = time.perf_counter()
            record = await repo.archive_day("market_snapshots", day, today=today)
            assert record is not None
            per_day.append((time.perf_counter() - d0, record.rows, record.bytes))
        archive_s = time.perf_counter() - t0
        d0 = time.perf_counter()
        dropped = await repo.drop_expired("market_snapshots", hot_days=1, today=today)
        drop_s = time.perf_counter() - d0
    finally:
        await db.close()
    rows = sum(r for _, r, _ in per_day)
    size = sum(b for _, _, b in per_day)
    columns = _column_bytes(ArchiveStore(store_url), days)
    return {
        "days": len(per_day),
        "dropped": len(dropped),
        "rows": rows,
        "file_bytes": size,
        "bytes_per_row": round(size / max(rows, 1), 2),
        "archive_s": round(archive_s, 1),
        "archive_rows_per_s": round(rows / archive_s),
        "day_s_p50": round(statistics.median(s for s, _, _ in per_day), 2),
        "drop_s": round(drop_s, 2),
        # where the bytes go: each column's compressed bytes (all row groups) per row
        "column_bytes_per_row": {c: round(b / max(rows, 1), 2) for c, b in columns.items()},
    }


def _column_bytes(store: Any, days: list[date]) -> dict[str, int]:
    import pyarrow.parquet as pq

    out: dict[str, int] = {}
    for day in days:
        with store.fs.open(store.day_path("market_snapshots", day), "rb") as f:
            meta = pq.ParquetFile(f).metadata
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for i in range(group.num_columns):
                chunk = group.column(i)
                out[chunk.path_in_schema] = (
                    out.get(chunk.path_in_schema, 0) + chunk.total_compressed_size
                )
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from kalshi_core.storage.migrate import upgrade

    name = f"kalshi_bench_archive_{uuid.uuid4().hex[:8]}"
    store = tempfile.mkdtemp(prefix="kalshi-archive-bench-")
    os.environ["ARCHIVE_URL"] = store  # this process and the API processes read the same files
    url = create_database(name)
    try:
        upgrade(url, partition_days_ahead=1)
        today = datetime.now(UTC).date()
        # finished days that all end before the hot window, so every one can be dropped
        days = [today - timedelta(days=args.days + 1 - i) for i in range(args.days)]
        t0 = time.perf_counter()
        rows = await _fill(url, args.markets, days, args.rows_per_day)
        fill_s = time.perf_counter() - t0
        tickers = [f"KXBENCH-26DEC-M{i:05d}" for i in range(args.markets)]
        start = datetime(days[0].year, days[0].month, days[0].day, tzinfo=UTC)
        end = start + timedelta(days=args.days)
        probe_day = days[len(days) // 2]
        hot = await _hot_bytes(url)
        hot_reads = await _reads(url, tickers, start, end)
        hot_page = _api_page(url, tickers[7], probe_day, args.requests)
        archived = await _archive(url, days, store)
        cold_reads = await _reads(url, tickers, start, end)
        cold_page = _api_page(url, tickers[7], probe_day, args.requests)
        return {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "markets": args.markets,
            "days": args.days,
            "rows": rows,
            "fill_s": round(fill_s, 1),
            "hot": hot,
            "hot_reads": hot_reads,
            "hot_history_page": hot_page,
            "archive": archived,
            "archived_reads": cold_reads,
            "archived_history_page": cold_page,
            "archived_page_vs_hot": round(cold_page["p50_ms"] / max(hot_page["p50_ms"], 1e-9), 2),
            "same_page_body": hot_page["body_sha"] == cold_page["body_sha"],
            "hot_vs_archived_bytes": round(
                hot["bytes_per_row"] / max(archived["bytes_per_row"], 1e-9), 1
            ),
        }
    finally:
        drop_database(name)
        shutil.rmtree(store, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--markets", type=int, default=1000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--rows-per-day", type=int, default=200, help="stored rows per market and day")
    p.add_argument("--requests", type=int, default=200, help="history page requests per side")
    result = asyncio.run(run(p.parse_args()))
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
