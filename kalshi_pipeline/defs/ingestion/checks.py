"""Partition-wide data-quality checks on `market_snapshots` (run from the UI or before backtests).

The ingestion runs judge their own window inline (assets.py); these judge a whole UTC day:
poll coverage and gap list from `ingest_polls`, crossed or out-of-range quotes and duplicate
keys in the stored rows, and open markets whose quote went stale. Coverage and quotes are
blocking: a backtest over a day with holes or impossible quotes would be quietly wrong.
Thresholds are settings (QUALITY_COVERAGE_MIN, QUALITY_STALE_*), read when a check runs.
"""

import asyncio
from datetime import UTC, datetime, timedelta

import dagster as dg

from kalshi_core.settings import get_settings, setting_default
from kalshi_core.storage.repositories import CoverageReport, SnapshotQuality
from kalshi_pipeline.defs.partitions import snapshot_days
from kalshi_pipeline.defs.resources import WorkbenchDatabase
from kalshi_pipeline.lib.tiers import tier_specs


def day_bounds(partition_key: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a UTC day partition, cut at `now` while the day is in progress."""
    start = datetime.strptime(partition_key, "%Y-%m-%d").replace(tzinfo=UTC)
    end = min(start + timedelta(days=1), now or datetime.now(UTC))
    return start, max(start, end)


@dg.asset_check(
    asset="market_snapshots",
    partitions_def=snapshot_days,
    blocking=True,
    description="Each enabled tier committed at least QUALITY_COVERAGE_MIN (default "
    f"{setting_default('quality_coverage_min'):.0%}) of the day's grid ticks (up to now for "
    "today); lists the gaps.",
)
def partition_poll_coverage(
    context: dg.AssetCheckExecutionContext, database: WorkbenchDatabase
) -> dg.AssetCheckResult:
    start, end = day_bounds(context.partition_key)
    settings = get_settings()
    specs = tier_specs(settings)

    async def load() -> dict[str, CoverageReport]:
        async with database.repositories() as repos:
            return {
                tier: await repos.polls.coverage(tier, start, end, spec.grid.interval_s)
                for tier, spec in specs.items()
            }

    reports = asyncio.run(load())
    metadata: dict[str, dg.RawMetadataValue] = {}
    passed = True
    for tier, rep in reports.items():
        passed &= rep.ratio >= settings.quality_coverage_min
        metadata[f"{tier}_coverage"] = round(rep.ratio, 4)
        metadata[f"{tier}_ticks"] = f"{rep.ok} ok / {rep.expected} expected"
        metadata[f"{tier}_missed_or_error"] = rep.missed + rep.errors
        gaps = [f"- {a:%H:%M:%S} – {b:%H:%M:%S}" for a, b in rep.gaps[:20]]
        metadata[f"{tier}_gaps"] = dg.MetadataValue.md("\n".join(gaps) or "none")
    return dg.AssetCheckResult(passed=passed, metadata=metadata)


def _quality(database: WorkbenchDatabase, partition_key: str) -> SnapshotQuality:
    start, end = day_bounds(partition_key)
    stale_after = timedelta(hours=get_settings().quality_stale_after_hours)

    async def load() -> SnapshotQuality:
        async with database.repositories() as repos:
            return await repos.markets.quality(start, end, stale_after=stale_after)

    return asyncio.run(load())


@dg.asset_check(
    asset="market_snapshots",
    partitions_def=snapshot_days,
    blocking=True,
    description="No stored quote is crossed (yes bid > yes ask) or outside [0, 1], and no "
    "(market, observed time) key appears twice.",
)
def partition_quotes_valid(
    context: dg.AssetCheckExecutionContext, database: WorkbenchDatabase
) -> dg.AssetCheckResult:
    q = _quality(database, context.partition_key)
    return dg.AssetCheckResult(
        passed=q.crossed == 0 and q.out_of_range == 0 and q.duplicate_keys == 0,
        metadata={
            "rows": q.rows,
            "markets": q.markets,
            "crossed": q.crossed,
            "out_of_range": q.out_of_range,
            "duplicate_keys": q.duplicate_keys,
            "examples": ", ".join(q.examples[:10]) or "none",
        },
    )


@dg.asset_check(
    asset="market_snapshots",
    partitions_def=snapshot_days,
    description="Open markets whose stored quote has not changed for QUALITY_STALE_AFTER_HOURS "
    f"(default {setting_default('quality_stale_after_hours'):g} h); warns once "
    f"QUALITY_STALE_SHARE_MAX (default {setting_default('quality_stale_share_max'):.0%}) of them "
    "are stale: quiet markets exist, but a whole tier going stale means polling broke.",
)
def partition_stale_markets(
    context: dg.AssetCheckExecutionContext, database: WorkbenchDatabase
) -> dg.AssetCheckResult:
    q = _quality(database, context.partition_key)
    share = q.stale_open_markets / q.open_markets if q.open_markets else 0.0
    return dg.AssetCheckResult(
        passed=share < get_settings().quality_stale_share_max,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "open_markets": q.open_markets,
            "stale_open_markets": q.stale_open_markets,
            "stale_share": round(share, 4),
        },
    )
