"""Benchmark: tick-to-committed-rows of the ingestion loop against a local simulator.

    .venv/bin/python -m bench.ingestion_tick [--markets 157000] [--watchlist 1000] [--window 60]

1. Catalogue: ~104,000 open non-combo markets (157,000 in the universe, ~66% open). For a few
   scans: the scan (HTTP + parse) wall time, the parse alone (the same raw pages re-parsed
   offline), and `save_many` (diff against market_latest + COPY of changed rows + upsert + poll
   record + raw pages) wall time. Goal: parse + diff + write < 2 s.
   With `--dynamics calibrated` (the simulator's default, fit to real Kalshi tapes) the scans
   show the change-only ratio at Kalshi's real pace; the report adds the stored bytes per row
   (table + indexes of the day partitions) and extrapolates rows and bytes per day of the
   catalogue tier (a scan every 15 s, 5,760 a day) from the scans after the first.
2. Watchlist: 1,000 markets polled on the 5 s grid through `poll_window` for one window: per tick,
   HTTP time and commit time beyond HTTP (p50/p95; goal p95 < 250 ms), and rows written by
   change-only storage against every market every tick.
The client's limiter is off (we measure our code, not Kalshi's budget); the database is a
throwaway one created and dropped here.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import psycopg2

from bench.catalogue_scan import _free_port, start_simulator
from kalshi_core.kalshi import KalshiClient, wire
from kalshi_core.models import IngestPoll
from kalshi_core.settings import Settings
from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.migrate import upgrade
from kalshi_pipeline.lib.poll_grid import PollGrid
from kalshi_pipeline.lib.poller import poll_window, sequence_for, tune_gc_for_ingestion

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def pct(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 4)


async def catalogue(client: KalshiClient, repos, scans: int) -> list[dict[str, float]]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(scans):
        tick = datetime.now(UTC).replace(microsecond=0)
        t0 = time.perf_counter()
        scan = await client.scan_markets(observed_at=tick, sequence=sequence_for(tick))
        t1 = time.perf_counter()
        parser = wire.MarketParser(tick, sequence_for(tick))
        # Re-parse the same pages offline, keeping the results as the scan does (and with the
        # collector paused during building, as the client's pagination does).
        p0 = time.perf_counter()
        reparsed = []
        for page in scan.raw_pages:
            gc.disable()
            try:
                reparsed.append(wire.parse_markets_page(page.body, "GET /markets", parser))
            finally:
                gc.enable()
        parse_s = time.perf_counter() - p0
        del reparsed
        s0 = time.perf_counter()
        await repos.markets.upsert_markets(scan.markets) if i == 0 else None
        u1 = time.perf_counter()
        # with its grid interval, as ingestion does: save_many also records coverage spans
        poll = IngestPoll(
            tier="catalogue", tick=tick, markets_seen=len(scan.snapshots), interval_s=15
        )
        # A catalogue tick keeps its raw pages once per RAW_PAGES_CATALOGUE_EVERY_S (900 s by
        # default, 1 scan in 60): the typical tick writes none; the sampled one's extra cost
        # (compress + insert) is timed on its own.
        report = await repos.markets.save_many(scan.snapshots, poll=poll)
        s1 = time.perf_counter()
        await repos.raw_pages.add(scan.raw_pages)
        r1 = time.perf_counter()
        out.append(
            {
                "markets": len(scan.snapshots),
                "pages": scan.pages,
                "scan_http_and_parse_s": round(t1 - t0, 3),
                "parse_only_s": round(parse_s, 3),
                "metadata_upsert_s": round(u1 - s0, 3),
                "save_many_s": round(s1 - u1, 3),
                "parse_plus_diff_write_s": round(parse_s + (s1 - u1), 3),
                "raw_pages_compress_insert_s": round(r1 - s1, 3),
                "rows_written": report.written,
                "unchanged": report.unchanged,
            }
        )
        await asyncio.sleep(15 - (time.perf_counter() - t0) % 15)
    return out


async def watchlist(  # type: ignore[no-untyped-def]
    client: KalshiClient, repos, tickers: list[str], window_s: int, raw_every_s: int
) -> dict:  # type: ignore[type-arg]
    grid = PollGrid("watchlist", 5, window_s)
    start = grid.window_start(datetime.now(UTC)) + timedelta(seconds=window_s)

    async def scan(tick: datetime, seq: int):  # type: ignore[no-untyped-def]
        return await client.scan_markets(observed_at=tick, sequence=seq, tickers=tickers)

    rep = await poll_window(
        grid=grid,
        window_start=start,
        scan=scan,
        markets=repos.markets,
        polls=repos.polls,
        raw_pages_every_s=raw_every_s,
    )
    ok = [o for o in rep.outcomes if o.status == "ok"]
    commit = [o.commit_s for o in ok[1:]]  # the first tick also inserts every market's metadata
    http = [o.http_s for o in ok]
    every = sum(o.markets_seen for o in ok)
    return {
        "ticks": len(rep.outcomes),
        "ok": len(ok),
        "markets": rep.markets_seen,
        "http_p50_ms": pct(http, 0.5) * 1000,
        "http_p95_ms": pct(http, 0.95) * 1000,
        "commit_beyond_http_p50_ms": pct(commit, 0.5) * 1000,
        "commit_beyond_http_p95_ms": pct(commit, 0.95) * 1000,
        "first_tick_commit_ms": round(ok[0].commit_s * 1000, 1),
        "raw_pages_every_s": raw_every_s,
        "rows_written_change_only": rep.rows_written,
        "rows_every_market_every_tick": every,
        "reduction_x": round(every / max(rep.rows_written, 1), 2),
    }


async def stored_bytes(db: Database) -> dict[str, float]:
    """Rows and on-disk bytes (heap, indexes, TOAST) of the day partitions of market_snapshots."""
    async with db.acquire() as conn:
        await conn.execute("VACUUM ANALYZE market_snapshots")  # visibility map, exact sizes
        rows = await conn.fetchval("SELECT count(*) FROM market_snapshots")
        size = await conn.fetchval(
            "SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i "
            "WHERE i.inhparent = 'market_snapshots'::regclass"
        )
    size = int(size)  # sum() of bigints is numeric: a Decimal
    return {"rows": rows, "bytes": size, "bytes_per_row": round(size / max(rows, 1), 1)}


def per_day(cat: list[dict[str, float]], bytes_per_row: float) -> dict[str, float]:
    """Catalogue rows and hot bytes a day at the measured change rate (scans after the first,
    which writes every market)."""
    later = [c["rows_written"] for c in cat[1:]]
    if not later:
        return {}
    per_scan = statistics.fmean(later)
    markets = statistics.fmean(c["markets"] for c in cat[1:])
    rows = per_scan * 86_400 / 15
    return {
        "rows_per_scan": round(per_scan, 1),
        "changed_share_per_scan": round(per_scan / max(markets, 1), 5),
        "rows_per_day": round(rows),
        "hot_bytes_per_day": round(rows * bytes_per_row),
        "hot_gib_per_day": round(rows * bytes_per_row / 2**30, 3),
    }


def wait_ready(port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/trade-api/v2/exchange/status", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    # the simulator starts with a frozen clock; let it run so quotes move between ticks
    httpx.post(base + "/_sim/clock", json={"time_scale": 1.0}, timeout=5).raise_for_status()


async def main(args: argparse.Namespace) -> None:
    tune_gc_for_ingestion()  # as the ingestion run's process does
    port = _free_port()
    sim = start_simulator(args.markets, args.markets // 8, port, dynamics=args.dynamics)
    name = f"kalshi_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(ADMIN)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url, partition_days_ahead=1)
        base = f"http://127.0.0.1:{port}/trade-api/v2"
        await asyncio.to_thread(wait_ready, port)
        s = Settings(_env_file=None, kalshi_base_url=base, kalshi_rate_limit_per_s=0)  # type: ignore[call-arg]
        db = await Database.connect(url, max_size=4)
        repos = repositories(db)
        async with KalshiClient.from_settings(s) as client:
            cat = await catalogue(client, repos, args.scans)
            scan = await client.scan_markets(
                observed_at=datetime.now(UTC), sequence=0, series_tickers=["KXBTCD"], keep_raw=False
            )
            full = await client.scan_markets(
                observed_at=datetime.now(UTC), sequence=0, keep_raw=False
            )
            tickers = [m.ticker for m in full.markets][: args.watchlist]
            del scan
            wl = await watchlist(
                client, repos, tickers, args.window, Settings().raw_pages_watchlist_every_s
            )
        stored = await stored_bytes(db)
        await db.close()
        print(
            json.dumps(
                {
                    "date": datetime.now(UTC).isoformat(),
                    "dynamics": args.dynamics,
                    "catalogue": cat,
                    "watchlist": wl,
                    "stored": stored,
                    "catalogue_per_day": per_day(cat, stored["bytes_per_row"]),
                },
                indent=2,
            )
        )
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        sim.terminate()
        sim.wait()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--markets", type=int, default=157_000)
    ap.add_argument("--watchlist", type=int, default=1000)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--scans", type=int, default=3)
    ap.add_argument(
        "--dynamics",
        choices=("busy", "calibrated"),
        default="busy",
        help="busy: every market requotes each minute (the writer's worst case); calibrated: "
        "Kalshi's measured pace (docs/SIMULATOR.md)",
    )
    asyncio.run(main(ap.parse_args()))
