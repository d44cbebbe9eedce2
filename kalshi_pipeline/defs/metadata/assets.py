"""`series`, `events` and `markets`: Kalshi's metadata in Postgres, refreshed hourly.

The ingestion runs upsert the metadata of every market they poll; these assets fill in what
polling does not see: every series (fee type and multiplier, which the backtests' fee model
needs), open events, and markets that closed or settled recently, which leave the open
listings before their result is known.
"""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import dagster as dg

from kalshi_pipeline.defs.resources import KalshiApiResource, WorkbenchDatabase
from kalshi_pipeline.lib.poller import sequence_for

SETTLED_LOOKBACK = timedelta(days=3)


@dg.asset(
    group_name="metadata",
    kinds={"postgres"},
    description="Every Kalshi series: category, frequency, fee type and fee multiplier "
    "(table `series`).",
)
def series(kalshi: KalshiApiResource, database: WorkbenchDatabase) -> dg.MaterializeResult:  # type: ignore[type-arg]
    async def run() -> dg.MaterializeResult:  # type: ignore[type-arg]
        async with kalshi.client() as client, database.repositories() as repos:
            items = await client.get_series_list()
            written = await repos.series.upsert_many(items)
        fees = Counter(s.fee_type for s in items)
        return dg.MaterializeResult(
            metadata={
                "series": len(items),
                "upserted": written,
                "fee_types": dg.MetadataValue.json(dict(fees)),
                "categories": len({s.category for s in items}),
            }
        )

    return asyncio.run(run())


@dg.asset(
    group_name="metadata",
    kinds={"postgres"},
    deps=[series],
    description="Open Kalshi events (mutually exclusive flag, strike date, fee overrides), "
    "table `events`.",
)
def events(kalshi: KalshiApiResource, database: WorkbenchDatabase) -> dg.MaterializeResult:  # type: ignore[type-arg]
    async def run() -> dg.MaterializeResult:  # type: ignore[type-arg]
        async with kalshi.client() as client, database.repositories() as repos:
            listing = await client.get_events(status="open")
            items = [r.event for r in listing.items]
            written = await repos.events.upsert_many(items)
        return dg.MaterializeResult(
            metadata={
                "events": len(items),
                "upserted": written,
                "complete": listing.complete,
                "pages": listing.pages,
                "requests": listing.stats.requests,
                "retries": listing.stats.retries,
            }
        )

    return asyncio.run(run())


@dg.asset(
    group_name="metadata",
    kinds={"postgres"},
    deps=[events],
    description="Kalshi markets: status, open/close/settlement times, result, tick structure, "
    f"is_mve. Open markets plus those closed in the last {SETTLED_LOOKBACK.days} days, so "
    "results reach the backtests (table `markets`).",
)
def markets(kalshi: KalshiApiResource, database: WorkbenchDatabase) -> dg.MaterializeResult:  # type: ignore[type-arg]
    async def run() -> dg.MaterializeResult:  # type: ignore[type-arg]
        now = datetime.now(UTC)
        seq = sequence_for(now)
        async with kalshi.client() as client, database.repositories() as repos:
            open_scan = await client.scan_markets(
                observed_at=now, sequence=seq, status="open", keep_raw=False
            )
            closed_scan = await client.scan_markets(
                observed_at=now,
                sequence=seq,
                status=None,
                min_close_ts=now - SETTLED_LOOKBACK,
                max_close_ts=now,
                keep_raw=False,
            )
            every = {m.ticker: m for m in open_scan.markets + closed_scan.markets}
            written = await repos.markets.upsert_markets(list(every.values()))
        statuses = Counter(m.status for m in every.values())
        return dg.MaterializeResult(
            metadata={
                "markets": len(every),
                "upserted": written,
                "by_status": dg.MetadataValue.json(dict(statuses)),
                "settled_with_result": sum(1 for m in every.values() if m.result),
                "requests": open_scan.requests + closed_scan.requests,
                "retries": open_scan.retries + closed_scan.retries,
                "complete": open_scan.complete and closed_scan.complete,
            }
        )

    return asyncio.run(run())
