"""The API benchmark's data set: N markets and M snapshot rows, generated inside PostgreSQL.

    .venv/bin/python -m bench.api_dataset --markets 100000 --rows 50000000 --keep

Everything is generated server-side with `generate_series` (INSERT ... SELECT), so no row crosses
the wire: the schema is the real one (Alembic head), the day partitions are the ones
`kalshi_core.storage.partitions` names, and the rows respect every constraint (prices in [0, 1],
counts >= 0, one row per (market, observed tick)). Rows are inserted tick-major, as live ingestion
writes them, one day partition per statement, two at a time (the machine has two cores); the
report says how many heap pages one market's day of history spans (the cost of a history read).

The quotes are deterministic functions of (market, row number), so a run is reproducible. Each
market gets `rows / markets` history rows spread evenly over the last `days` full UTC days, and
its `market_latest` row is its newest snapshot.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import psycopg2

from bench.throwaway_db import create_database, drop_database, url_for
from kalshi_core.storage.migrate import upgrade
from kalshi_core.storage.partitions import compact_partition, existing_days, partition_name

SERIES_COUNT = 100
MARKETS_PER_EVENT = 10


def new_database_name() -> str:
    return f"kalshi_apibench_{uuid.uuid4().hex[:10]}"


def market_ticker(i: int) -> str:
    """The ticker the generator gives market number `i` (1-based)."""
    event = (i - 1) // MARKETS_PER_EVENT + 1
    return f"KXB{(event - 1) % SERIES_COUNT + 1:03d}-E{event:06d}-M{i:06d}"


# Market i belongs to event ceil(i / 10); event e to series ((e - 1) % 100) + 1. The SQL below
# builds the same tickers as `market_ticker`.
_SERIES_SQL = """
INSERT INTO series (ticker, title, category, frequency, fee_type, fee_multiplier, updated_at)
SELECT 'KXB' || lpad(s::text, 3, '0'), 'Bench series ' || s, 'Bench', 'daily',
       'quadratic', 1, now()
FROM generate_series(1, %(series)s) s
"""
_EVENTS_SQL = """
INSERT INTO events (event_ticker, series_ticker, title, sub_title, mutually_exclusive, updated_at)
SELECT 'KXB' || lpad(((e - 1) %% %(series)s + 1)::text, 3, '0') || '-E' || lpad(e::text, 6, '0'),
       'KXB' || lpad(((e - 1) %% %(series)s + 1)::text, 3, '0'),
       'Bench event ' || e, '', true, now()
FROM generate_series(1, %(events)s) e
"""
_MARKETS_SQL = """
INSERT INTO markets (id, ticker, event_ticker, series_ticker, title, status, open_time,
                     close_time, updated_at)
SELECT i,
       'KXB' || lpad(((ev - 1) %% %(series)s + 1)::text, 3, '0') || '-E' || lpad(ev::text, 6, '0')
           || '-M' || lpad(i::text, 6, '0'),
       'KXB' || lpad(((ev - 1) %% %(series)s + 1)::text, 3, '0') || '-E' || lpad(ev::text, 6, '0'),
       'KXB' || lpad(((ev - 1) %% %(series)s + 1)::text, 3, '0'),
       'Will bench market ' || i || ' resolve yes?',
       CASE WHEN i %% 10 = 0 THEN 'finalized' ELSE 'active' END,
       now() - interval '30 days',
       now() + (i %% 1000) * interval '1 hour',
       now()
FROM (SELECT i, (i - 1) / %(per_event)s + 1 AS ev FROM generate_series(1, %(markets)s) i) g
"""
_IDENTITY_SQL = "SELECT setval(pg_get_serial_sequence('markets', 'id'), %(markets)s)"

# The quote of market m at row k: a bid in cents 1..89, a 1-3 cent spread, a last price inside
# it, sizes and volumes growing with k, in whole contracts. Same expression for history and
# latest; stored as the columns hold them (migration 0009): prices in micro-dollars (1 cent =
# 10,000), counts in centi-contracts (1 contract = 100).
_QUOTE_SELECT = """
       b * 10000,
       (b + 1 + (m + k) %% 3) * 10000,
       (b + (m * 3 + k) %% 2) * 10000,
       ((m * 13 + k * 7) %% 500 + 1)::bigint * 100,
       ((m * 17 + k * 11) %% 500 + 1)::bigint * 100,
       (k * 10 + m %% 100)::bigint * 100,
       ((k * 10) %% 5000)::bigint * 100,
       (k * 3 + m %% 50)::bigint * 100
"""
# No ORDER BY: PostgreSQL runs the tick series as the outer loop, so rows land tick-major (every
# market's row for tick k, then tick k+1), the layout live ingestion produces: a market's history
# is spread one row per heap page, and history reads pay for that as they would in production.
_DAY_SQL = f"""
INSERT INTO {{partition}} (observed_at, sequence, market_id, source, yes_bid, yes_ask,
    last_price, yes_bid_size, yes_ask_size, volume, volume_24h, open_interest)
SELECT %(day_start)s::timestamptz + (k - %(k0)s) * %(step)s * interval '1 second'
           + (m %% 5) * interval '1 second',
       k, m, 0,
{_QUOTE_SELECT}
FROM (
    SELECT m, k, 1 + ((m * 7919 + k * 104729) %% 89) AS b
    FROM generate_series(%(k0)s, %(k1)s - 1) k, generate_series(1, %(markets)s) m
) g
"""
_LATEST_SQL = f"""
INSERT INTO market_latest (market_id, observed_at, changed_at, sequence, source, yes_bid,
    yes_ask, last_price, yes_bid_size, yes_ask_size, volume, volume_24h, open_interest)
SELECT m, at, at, k, 0,
{_QUOTE_SELECT}
FROM (
    SELECT m, k, 1 + ((m * 7919 + k * 104729) %% 89) AS b,
           %(last_day_start)s::timestamptz + (k - %(k0)s) * %(step)s * interval '1 second'
               + (m %% 5) * interval '1 second' AS at
    FROM generate_series(1, %(markets)s) m, (SELECT %(k1)s - 1 AS k) kk
) g
"""


@dataclass(frozen=True, slots=True)
class LoadReport:
    database_url: str
    markets: int
    rows: int
    days: int
    seconds: float
    snapshot_bytes: int
    pages_per_market_day: float
    compact_seconds: float | None = None

    def describe(self) -> str:
        return (
            f"{self.markets:,} markets, {self.rows:,} snapshot rows over {self.days} days "
            f"loaded in {self.seconds:.0f} s ({self.rows / max(self.seconds, 1e-9):,.0f} rows/s); "
            f"market_snapshots {self.snapshot_bytes / 2**30:.2f} GiB incl. indexes; one market's "
            f"day spans {self.pages_per_market_day:.1f} heap pages"
            + (
                f" (finished days compacted as the nightly job does, "
                f"{self.compact_seconds:.0f} s of it)"
                if self.compact_seconds is not None
                else " (not compacted)"
            )
        )


def compact_days(url: str) -> float:
    """Rewrite every finished day of `market_snapshots` in market order, as the pipeline's
    `compacted_market_snapshots` asset does each night; returns the seconds it took."""

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            today = datetime.now(UTC).date()
            for day in sorted(await existing_days(conn, "market_snapshots")):
                if day < today:
                    await compact_partition(conn, "market_snapshots", day, cluster=True)
        finally:
            await conn.close()

    t0 = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - t0


def _execute(url: str, sql: str, params: dict[str, Any]) -> None:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            # A throwaway data set: no need to wait for the WAL flush of each statement.
            cur.execute("SET synchronous_commit = off")
            cur.execute(sql, params)
    finally:
        conn.close()


def _days(n: int) -> list[date]:
    """The last `n` full UTC days, oldest first (today is left to live writes)."""
    today = datetime.now(UTC).date()
    return [today - timedelta(days=n - i) for i in range(n)]


def load(
    url: str,
    *,
    markets: int = 100_000,
    rows: int = 50_000_000,
    days: int = 10,
    jobs: int = 2,
    compact: bool = True,
) -> LoadReport:
    """Migrate the (empty) database at `url` and fill it; returns what was loaded."""
    if markets < 1 or rows < markets or days < 1:
        raise ValueError("need markets >= 1, rows >= markets, days >= 1")
    per_market = rows // markets
    days = min(days, per_market)
    per_day = per_market // days
    step = 86_400 // per_day
    if step < 5:
        raise ValueError(f"{per_day} rows per market per day is denser than a 5 s grid")
    t0 = time.perf_counter()
    upgrade(url, partition_days_ahead=1)
    events = (markets + MARKETS_PER_EVENT - 1) // MARKETS_PER_EVENT
    params = {
        "series": SERIES_COUNT,
        "events": events,
        "markets": markets,
        "per_event": MARKETS_PER_EVENT,
    }
    for sql in (_SERIES_SQL, _EVENTS_SQL, _MARKETS_SQL, _IDENTITY_SQL):
        _execute(url, sql, params)

    day_list = _days(days)
    ddl = []
    for d in day_list:
        lo = datetime(d.year, d.month, d.day, tzinfo=UTC)
        ddl.append(
            f"CREATE TABLE IF NOT EXISTS {partition_name('market_snapshots', d)} PARTITION OF "
            f"market_snapshots FOR VALUES FROM ('{lo.isoformat()}') "
            f"TO ('{(lo + timedelta(days=1)).isoformat()}')"
        )
    _execute(url, ";".join(ddl), {})

    def fill(index: int) -> None:
        d = day_list[index]
        sql = _DAY_SQL.format(partition=partition_name("market_snapshots", d))
        _execute(
            url,
            sql,
            {
                **params,
                "day_start": datetime(d.year, d.month, d.day, tzinfo=UTC),
                "k0": index * per_day,
                "k1": (index + 1) * per_day,
                "step": step,
            },
        )

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(fill, range(len(day_list))))
    last = day_list[-1]
    _execute(
        url,
        _LATEST_SQL,
        {
            **params,
            "last_day_start": datetime(last.year, last.month, last.day, tzinfo=UTC),
            "k0": (days - 1) * per_day,
            "k1": days * per_day,
            "step": step,
        },
    )
    compact_seconds = compact_days(url) if compact else None
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            # Visibility map + statistics, as autovacuum would eventually leave them.
            cur.execute("VACUUM (ANALYZE) markets, market_latest, events, series")
            cur.execute("VACUUM (ANALYZE) market_snapshots")
            cur.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'market_snapshots'::regclass"
            )
            row = cur.fetchone()
            size = int(row[0]) if row else 0
            # Sample 100 markets of the first day: distinct heap pages holding their rows.
            first = partition_name("market_snapshots", day_list[0])
            cur.execute(
                f"SELECT coalesce(avg(pages), 0) FROM (SELECT market_id, "
                f"count(DISTINCT (ctid::text::point)[0]) AS pages FROM {first} "
                "WHERE market_id = ANY(%(ids)s) GROUP BY market_id) p",
                {"ids": list(range(1, markets + 1, max(markets // 100, 1)))},
            )
            prow = cur.fetchone()
            pages = float(prow[0]) if prow else 0.0
    finally:
        conn.close()
    return LoadReport(
        database_url=url,
        markets=markets,
        rows=per_day * days * markets,
        days=days,
        seconds=time.perf_counter() - t0,
        snapshot_bytes=size,
        pages_per_market_day=pages,
        compact_seconds=compact_seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markets", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--name", help="database name (default: a fresh kalshi_apibench_<hex>)")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    parser.add_argument(
        "--no-compact",
        action="store_true",
        help="leave the days in arrival order (as before the nightly compaction runs)",
    )
    parser.add_argument(
        "--compact-existing", metavar="DBNAME", help="only compact the finished days of DBNAME"
    )
    args = parser.parse_args()
    if args.compact_existing:
        print(f"compacted in {compact_days(url_for(args.compact_existing)):.0f} s")
        return
    name = args.name or new_database_name()
    url = create_database(name)
    try:
        report = load(
            url,
            markets=args.markets,
            rows=args.rows,
            days=args.days,
            compact=not args.no_compact,
        )
        print(report.describe())
        if args.keep:
            print(url)
    finally:
        if not args.keep:
            drop_database(name)


if __name__ == "__main__":
    main()
