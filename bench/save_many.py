"""Benchmark: `save_many` per tick vs the row-by-row `save` loop and vs a bare binary COPY of the
same rows, and bytes per stored row.

    .venv/bin/python -m bench.save_many [--ticks 100] [--markets 10000] [--loop-sample 20000]

Writes the same kind of synthetic snapshots both ways into a throwaway database (created on the
server of `BENCH_DATABASE_ADMIN_URL`, else `TEST_DATABASE_ADMIN_URL`, default
postgresql://postgres@127.0.0.1:5432/postgres, and dropped at the end; see bench/throwaway_db.py):
- `save_many`: `ticks` x `markets` snapshots, one call per tick, every quote changing each tick
  by default (`--change-rate` lowers that), so every snapshot is a stored row; only the calls
  are timed (building the pydantic snapshots is not).
- `save` loop: `--loop-sample` snapshots of other markets on another day, one call per
  snapshot; its rate is extrapolated to the full size (stated in the output).
- bytes/row: pg_total_relation_size (heap + indexes + TOAST) of the save_many day partition
  after VACUUM ANALYZE, divided by its rows (bytes per hot row); heap and index shares are
  reported too, and the same after `partitions.compact_partition` (what a finished day costs).
- bare binary COPY: the rows save_many stored, read back, the partition emptied (a fresh table
  state, as save_many started from), then written again tick by tick with
  `copy_records_to_table` into the same partitioned `market_snapshots`: no staging, change
  detection, `market_latest`, coverage or Decimal conversion, i.e. what the hardware does with
  the same rows. Its records are built before the clock starts. `save_many / bare_copy` compares
  rows written per second; bytes per hot row are reported after this write too.
Goals: save_many >= 100,000 rows/s and >= 50x the loop; save_many >= 80% of the bare binary
COPY's rows/s (issue 14); <= 80 bytes per hot row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from bench.throwaway_db import throwaway_database
from kalshi_core.logs import configure_logging
from kalshi_core.models import IngestPoll, MarketSnapshot
from kalshi_core.storage.database import Database, init_connection, repositories
from kalshi_core.storage.migrate import upgrade
from kalshi_core.storage.partitions import compact_partition
from kalshi_core.storage.tables import QUOTE_COLUMNS

BENCH_DAY = datetime(2026, 1, 15, tzinfo=UTC)
LOOP_DAY = datetime(2026, 1, 14, tzinfo=UTC)
CENT = Decimal("0.0100")


def _backend_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) of a local PostgreSQL backend, None if not readable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Market:
    """A random-walk quote for one synthetic market."""

    def __init__(self, ticker: str, rng: random.Random) -> None:
        self.ticker = ticker
        self.rng = rng
        self.bid = Decimal(rng.randint(5, 90)) / 100
        self.volume = Decimal(rng.randint(0, 500_000))
        self.oi = Decimal(rng.randint(0, 50_000))
        self.bid_size = Decimal(rng.randint(1, 5000))
        self.ask_size = Decimal(rng.randint(1, 5000))

    def step(self, when: datetime, seq: int, change: bool) -> MarketSnapshot:
        if change:
            move = Decimal(self.rng.choice((-1, 1))) * CENT
            self.bid = min(max(self.bid + move, Decimal("0.01")), Decimal("0.97"))
            self.volume += Decimal(self.rng.randint(1, 40))
            self.oi += Decimal(self.rng.randint(-5, 10))
            self.oi = max(self.oi, Decimal(0))
            self.bid_size = Decimal(self.rng.randint(1, 5000))
            self.ask_size = Decimal(self.rng.randint(1, 5000))
        spread = CENT * (1 + self.ticker.__hash__() % 3)
        return MarketSnapshot(
            market_ticker=self.ticker,
            timestamp=when,
            source="rest",
            sequence=seq,
            yes_bid=self.bid.quantize(Decimal("0.0001")),
            yes_ask=(self.bid + spread).quantize(Decimal("0.0001")),
            last_price=(self.bid + CENT).quantize(Decimal("0.0001")),
            yes_bid_size=self.bid_size.quantize(Decimal("0.01")),
            yes_ask_size=self.ask_size.quantize(Decimal("0.01")),
            volume=self.volume.quantize(Decimal("0.01")),
            volume_24h=(self.volume / 10).quantize(Decimal("0.01")),
            open_interest=self.oi.quantize(Decimal("0.01")),
        )


def _cpu_since(py0: float, backend0: float | None, backend: int) -> float:
    py = time.process_time() - py0
    b1 = _backend_cpu_s(backend)
    return py + (b1 - backend0 if b1 is not None and backend0 is not None else 0.0)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(42)
    with throwaway_database("kalshi_bench", keep=args.keep_db) as url:
        upgrade(url, partition_days_ahead=1)
        # One connection that is never recycled (asyncpg replaces a connection after 50,000
        # queries by default): every call runs on the same backend, whose CPU time is measured.
        pool = await asyncpg.create_pool(
            url,
            min_size=1,
            max_size=1,
            max_queries=10**9,
            init=init_connection,
            server_settings={"jit": "off"},
        )
        db = Database(pool, partition_days_ahead=1)
        try:
            return await _measure(db, rng, args)
        finally:
            await db.close()


async def _total_bytes(conn: asyncpg.Connection, part: str) -> int:
    return int(await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", part))


async def _bare_copy(db: Database, part: str, backend: int) -> dict[str, Any]:
    """The rows stored in `part`, written again by a bare binary COPY per tick into the emptied
    partition (see the module docstring)."""
    columns = ["observed_at", "sequence", "market_id", "source", *QUOTE_COLUMNS]
    async with db.acquire() as conn:
        stored = await conn.fetch(
            f"SELECT {', '.join(columns)} FROM {part} ORDER BY observed_at, market_id"
        )
        ticks: dict[datetime, list[tuple[Any, ...]]] = {}
        for r in stored:
            ticks.setdefault(r["observed_at"], []).append(tuple(r))
        del stored
        await conn.execute(f"TRUNCATE {part}")
        await conn.execute(f"VACUUM ANALYZE {part}")
        t0 = time.perf_counter()
        c0, b0 = time.process_time(), _backend_cpu_s(backend)
        for batch in ticks.values():
            await conn.copy_records_to_table("market_snapshots", records=batch, columns=columns)
        seconds = time.perf_counter() - t0
        cpu = _cpu_since(c0, b0, backend)
        await conn.execute(f"VACUUM ANALYZE {part}")
        rows = int(await conn.fetchval(f"SELECT count(*) FROM {part}"))
        size = await _total_bytes(conn, part)
    return {"rows": rows, "seconds": seconds, "cpu": cpu, "bytes": size}


async def _measure(db: Database, rng: random.Random, args: argparse.Namespace) -> dict[str, Any]:
    repos = repositories(db)
    interval = timedelta(seconds=5)

    # --- baseline: row-by-row save on a sample (other markets, other day) -------------------
    loop_markets = [Market(f"KXLOOP-{i:05d}", rng) for i in range(args.markets)]
    loop_snaps: list[MarketSnapshot] = []
    seq = 0
    t = LOOP_DAY
    while len(loop_snaps) < args.loop_sample:
        seq += 1
        loop_snaps.extend(m.step(t, seq, True) for m in loop_markets)
        t += interval
    loop_snaps = loop_snaps[: args.loop_sample]
    async with db.acquire() as conn:
        backend = int(await conn.fetchval("SELECT pg_backend_pid()"))
    # CPU accounting needs the backend's /proc entry: PostgreSQL on this machine.
    cpu_ok = _backend_cpu_s(backend) is not None
    t0 = time.perf_counter()
    c0, b0 = time.process_time(), _backend_cpu_s(backend)
    for s in loop_snaps:
        await repos.markets.save(s)
    loop_s = time.perf_counter() - t0
    loop_cpu = _cpu_since(c0, b0, backend)
    loop_rate = len(loop_snaps) / loop_s

    # --- save_many per tick ----------------------------------------------------------------
    markets = [Market(f"KXBENCH-{i:05d}", rng) for i in range(args.markets)]
    many_s = 0.0
    many_cpu = 0.0
    written = unchanged = received = 0
    per_tick: list[float] = []
    for k in range(args.ticks):
        when = BENCH_DAY + interval * k
        tick = [m.step(when, k + 1, k == 0 or rng.random() < args.change_rate) for m in markets]
        t0 = time.perf_counter()
        c0, b0 = time.process_time(), _backend_cpu_s(backend)
        # an ok poll with its grid interval, as ingestion writes it: coverage spans included
        # (the row-by-row baseline records none, so the ratio is conservative)
        poll = IngestPoll(
            tier="catalogue", tick=when, status="ok", interval_s=int(interval.total_seconds())
        )
        report = await repos.markets.save_many(tick, poll=poll)
        dt = time.perf_counter() - t0
        many_cpu += _cpu_since(c0, b0, backend)
        many_s += dt
        per_tick.append(dt)
        written += report.written
        unchanged += report.unchanged
        received += report.received
    many_rate_received = received / many_s
    many_rate_written = written / many_s

    # --- size ------------------------------------------------------------------------------
    part = f"market_snapshots_p{BENCH_DAY:%Y%m%d}"
    async with db.acquire() as conn:
        await conn.execute(f"VACUUM ANALYZE {part}")
        rows = int(await conn.fetchval(f"SELECT count(*) FROM {part}"))
        total = await _total_bytes(conn, part)
        heap = int(await conn.fetchval("SELECT pg_relation_size($1::regclass)", part))
        indexes = int(await conn.fetchval("SELECT pg_indexes_size($1::regclass)", part))
        avg_width = await conn.fetchval(f"SELECT avg(pg_column_size(t.*))::float8 FROM {part} t")
        await compact_partition(conn, "market_snapshots", BENCH_DAY.date())
        await conn.execute(f"VACUUM ANALYZE {part}")
        total_compact = int(
            await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", part)
        )
        indexes_compact = int(await conn.fetchval("SELECT pg_indexes_size($1::regclass)", part))
    bare = await _bare_copy(db, part, backend)
    bare_rate = bare["rows"] / bare["seconds"] if bare["seconds"] else 0.0
    per_tick.sort()
    cpu_note = (
        "python process CPU + PostgreSQL backend CPU of the timed calls: what the work costs "
        "without contention from other processes (the calls are sequential)"
    )
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "markets": args.markets,
        "ticks": args.ticks,
        "change_rate": args.change_rate,
        "save_many": {
            "snapshots": received,
            "rows_written": written,
            "unchanged": unchanged,
            "seconds": round(many_s, 3),
            "snapshots_per_s": round(many_rate_received),
            "rows_written_per_s": round(many_rate_written),
            "tick_p50_ms": round(per_tick[len(per_tick) // 2] * 1000, 1),
            "tick_max_ms": round(per_tick[-1] * 1000, 1),
            "cpu_seconds": round(many_cpu, 3) if cpu_ok else None,
            "snapshots_per_cpu_s": round(received / many_cpu) if cpu_ok and many_cpu else None,
        },
        "save_loop": {
            "rows_measured": len(loop_snaps),
            "seconds": round(loop_s, 3),
            "rows_per_s": round(loop_rate),
            "extrapolated_seconds_for_full_size": round(received / loop_rate, 1),
            "cpu_seconds": round(loop_cpu, 3) if cpu_ok else None,
            "rows_per_cpu_s": round(len(loop_snaps) / loop_cpu) if cpu_ok and loop_cpu else None,
        },
        "bare_copy": {
            "rows": bare["rows"],
            "seconds": round(bare["seconds"], 3),
            "rows_per_s": round(bare_rate),
            "cpu_seconds": round(bare["cpu"], 3) if cpu_ok else None,
            "bytes_per_hot_row": round(bare["bytes"] / bare["rows"], 1) if bare["rows"] else None,
        },
        "save_many_vs_bare_copy": round(many_rate_written / bare_rate, 3) if bare_rate else None,
        "speedup": round(many_rate_received / loop_rate, 1),
        "speedup_cpu": round((received / many_cpu) / (len(loop_snaps) / loop_cpu), 1)
        if cpu_ok and many_cpu and loop_cpu
        else None,
        "cpu_note": cpu_note,
        "bytes_per_row": {
            "total": round(total / rows, 1) if rows else None,
            "heap": round(heap / rows, 1) if rows else None,
            "indexes": round(indexes / rows, 1) if rows else None,
            "avg_tuple_incl_header": round(avg_width or 0.0, 1),
            "total_after_compaction": round(total_compact / rows, 1) if rows else None,
            "indexes_after_compaction": round(indexes_compact / rows, 1) if rows else None,
            "rows": rows,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.save_many")
    parser.add_argument("--ticks", type=int, default=100)
    parser.add_argument("--markets", type=int, default=10_000)
    parser.add_argument("--loop-sample", type=int, default=20_000)
    parser.add_argument(
        "--change-rate", type=float, default=1.0, help="share of markets whose quote moves per tick"
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args(argv)
    configure_logging("WARNING", json=True)
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    sm, loop, size = result["save_many"], result["save_loop"], result["bytes_per_row"]
    bare = result["bare_copy"]
    print(
        f"\nsave_many: {sm['snapshots_per_s']:,} snapshots/s ({sm['rows_written_per_s']:,} rows "
        f"written/s) over {sm['snapshots']:,} snapshots; save loop: {loop['rows_per_s']:,} rows/s "
        f"measured on {loop['rows_measured']:,} rows (full size extrapolated: "
        f"{loop['extrapolated_seconds_for_full_size']} s); ratio {result['speedup']}x; "
        f"{size['total']} bytes/row (heap {size['heap']}, indexes {size['indexes']}), "
        f"{size['total_after_compaction']} after compact_partition; "
        f"CPU-time based: save_many {sm['snapshots_per_cpu_s']} snapshots/CPU-s, "
        f"loop {loop['rows_per_cpu_s']} rows/CPU-s, ratio {result['speedup_cpu']}x; "
        f"bare binary COPY of the same rows: {bare['rows_per_s']:,} rows/s "
        f"({bare['bytes_per_hot_row']} bytes/row), save_many / bare_copy "
        f"{result['save_many_vs_bare_copy']}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
