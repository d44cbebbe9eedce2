"""`market_snapshots`: the day partition filled by poll-window runs.

One run polls one window (5 minutes by default) of one tier on the wall-clock grid, commits every
tick through `MarketRepository.save_many` (snapshots, poll record and raw pages in one
transaction) and ends with a materialization of the day partition whose metadata says how the
window went. Inline checks judge the window it just wrote; the partition-wide checks live in
`checks.py`.
"""

import asyncio
import os
import socket
from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.settings import get_settings, setting_default
from kalshi_pipeline.defs.partitions import snapshot_days
from kalshi_pipeline.defs.resources import KalshiApiResource, WorkbenchDatabase
from kalshi_pipeline.lib.poll_grid import partition_key
from kalshi_pipeline.lib.poller import ScanResult, WindowReport, poll_window, tune_gc_for_ingestion
from kalshi_pipeline.lib.schema_drift import market_drift
from kalshi_pipeline.lib.tiers import TierSpec, tier_specs

INLINE_CHECKS = [
    dg.AssetCheckSpec(
        "window_tick_coverage",
        asset="market_snapshots",
        description="At least QUALITY_COVERAGE_MIN (default "
        f"{setting_default('quality_coverage_min'):.0%}) of the window's grid ticks committed.",
    ),
    dg.AssetCheckSpec(
        "window_quotes_sane",
        asset="market_snapshots",
        description="No crossed quote (yes bid > yes ask) among the window's snapshots; prices "
        "outside [0, 1] never get this far (the parser rejects the page).",
    ),
    dg.AssetCheckSpec(
        "raw_payload_schema_drift",
        asset="market_snapshots",
        description="Raw /markets payloads carry every required field of the known model; "
        "unknown new fields are reported (warning).",
    ),
]


class PollWindowConfig(dg.Config):
    """Which window this run polls (set by the sensor; empty = the window holding now)."""

    tier: str = Field(default="watchlist", description="watchlist | catalogue")
    window_start: str = Field(
        default="", description="ISO-8601 UTC start of the poll window; empty = the current one"
    )


def _scanner(spec: TierSpec, client: KalshiClient):  # type: ignore[no-untyped-def]
    async def scan(tick: datetime, sequence: int) -> ScanResult:
        if spec.tier == "catalogue":
            return await client.scan_markets(observed_at=tick, sequence=sequence, status="open")
        return await client.scan_markets(
            observed_at=tick,
            sequence=sequence,
            status="open",
            series_tickers=list(spec.series),
            event_tickers=list(spec.events),
            tickers=list(spec.tickers),
        )

    return scan


@dg.asset(
    partitions_def=snapshot_days,
    group_name="ingestion",
    kinds={"postgres"},
    check_specs=INLINE_CHECKS,
    tags={"kalshi/layer": "raw"},
    description="Top-of-book snapshots of Kalshi markets (yes bid/ask, last, sizes, volume, open "
    "interest), one row per market and tick on which its quote changed. Postgres table "
    "`market_snapshots`, range-partitioned by the same UTC days.",
)
def market_snapshots(
    context: dg.AssetExecutionContext,
    config: PollWindowConfig,
    kalshi: KalshiApiResource,
    database: WorkbenchDatabase,
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    specs = tier_specs(get_settings())
    spec = specs.get(config.tier)  # type: ignore[call-overload]
    if spec is None:
        raise dg.Failure(
            f"tier {config.tier!r} is not enabled: set WATCHLIST_SERIES/EVENTS/TICKERS for the "
            "watchlist or CATALOGUE_ENABLED=true for the catalogue"
        )
    grid = spec.grid
    start = (
        datetime.fromisoformat(config.window_start).astimezone(UTC)
        if config.window_start
        else grid.window_start(datetime.now(UTC))
    )
    if grid.window_start(start) != start:
        raise dg.Failure(f"window_start {start.isoformat()} is not on the {grid.window_s}s grid")
    if partition_key(start) != context.partition_key:
        raise dg.Failure(
            f"window {start.isoformat()} belongs to partition {partition_key(start)}, "
            f"not {context.partition_key}"
        )
    # lets the sensor tell a killed run from a live one on this host (see sensors.py)
    context.instance.add_run_tags(
        context.run.run_id, {"kalshi/pid": str(os.getpid()), "kalshi/host": socket.gethostname()}
    )
    report, pages = asyncio.run(_poll(spec, start, kalshi, database, context.run.run_id))
    return _materialization(report, pages, get_settings().quality_coverage_min)


async def _poll(
    spec: TierSpec,
    start: datetime,
    kalshi: KalshiApiResource,
    database: WorkbenchDatabase,
    run_id: str,
) -> tuple[WindowReport, list[bytes]]:
    sample: list[bytes] = []
    tune_gc_for_ingestion()  # this run's process polls for the whole window
    async with kalshi.client() as client, database.repositories() as repos:
        scan = _scanner(spec, client)

        async def sampled(tick: datetime, sequence: int) -> ScanResult:
            result: ScanResult = await scan(tick, sequence)
            if not sample and result.raw_pages:
                sample.extend(p.body for p in result.raw_pages[:3])
            return result

        report = await poll_window(
            grid=spec.grid,
            window_start=start,
            scan=sampled,
            markets=repos.markets,
            polls=repos.polls,
            run_id=run_id,
            raw_pages_every_s=spec.raw_pages_every_s,
        )
    return report, sample


def _materialization(
    report: WindowReport, pages: list[bytes], coverage_min: float
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    expected = len(report.outcomes)
    committed = report.count("ok") + report.count("skipped")
    coverage = committed / expected if expected else 1.0
    drift = market_drift(pages)

    def ms(attr: str, q: float) -> float | None:
        v = report.percentile(attr, q)
        return None if v is None else round(v * 1000, 1)

    metadata: dict[str, dg.RawMetadataValue] = {
        "tier": report.tier,
        "window_start": report.window_start.isoformat(),
        "window_end": report.window_end.isoformat(),
        "ticks_expected": expected,
        "ticks_ok": report.count("ok"),
        "ticks_resumed": report.count("skipped"),
        "ticks_missed": report.count("missed"),
        "ticks_error": report.count("error"),
        "tick_coverage": round(coverage, 4),
        "rows_written": report.rows_written,
        "rows_too_late": sum(o.too_late for o in report.outcomes),
        "markets_seen": report.markets_seen,
        "http_p50_ms": ms("http_s", 0.5),
        "http_p95_ms": ms("http_s", 0.95),
        "commit_p95_ms (beyond HTTP)": ms("commit_s", 0.95),
        "tick_to_commit_p50_ms": ms("tick_to_commit_s", 0.5),
        "tick_to_commit_p95_ms": ms("tick_to_commit_s", 0.95),
        "retries": sum(o.retries for o in report.outcomes),
        "http_429s": sum(o.http_429s for o in report.outcomes),
        "incomplete_scans": report.incomplete_scans,
    }
    errors = [f"{o.tick:%H:%M:%S} {o.error}" for o in report.outcomes if o.error]
    if errors:
        metadata["errors (first 10)"] = dg.MetadataValue.md(
            "\n".join(f"- `{e[:300]}`" for e in errors[:10])
        )
    checks = [
        dg.AssetCheckResult(
            check_name="window_tick_coverage",
            passed=coverage >= coverage_min,
            # one window's hiccup warns; the day partition's coverage check is the blocking one
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"coverage": round(coverage, 4), "committed": committed, "expected": expected},
        ),
        dg.AssetCheckResult(
            check_name="window_quotes_sane",
            passed=report.crossed_quotes == 0,
            metadata={"crossed_quotes": report.crossed_quotes},
        ),
        dg.AssetCheckResult(
            check_name="raw_payload_schema_drift",
            passed=not drift.breaking and not drift.unknown,
            severity=dg.AssetCheckSeverity.ERROR if drift.breaking else dg.AssetCheckSeverity.WARN,
            metadata={
                "markets_checked": drift.markets_checked,
                "unknown_fields": ", ".join(sorted(drift.unknown)) or "none",
                "missing_required_fields": ", ".join(sorted(drift.missing_required)) or "none",
            },
        ),
    ]
    return dg.MaterializeResult(metadata=metadata, check_results=checks)
