"""`market_trades` and `market_candles`: Kalshi history backfilled into Postgres by UTC day.

Both are partitioned by `history_days`. A run covers a range of days (the backfill policy puts
up to `MAX_DAYS_PER_RUN` days in one run, so 90 days are 3 runs, not 90 x markets); inside it
`kalshi_core.history.HistoryBackfill` fetches the days in chunks and commits each day in its
own transaction, so a run that dies is resumed by re-running its partitions: the days it
committed are rewritten to the same rows, the others are filled.

Requests go through the process-wide token bucket of the Kalshi resource, shared with any
ingestion running in the same process; metadata reports requests, retries, 429s and the live
vs historical split.
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, date

import dagster as dg
from pydantic import Field

from kalshi_core.history import BackfillReport, DayResult, HistoryBackfill, HistoryUniverse
from kalshi_core.history.routing import CANDLE_PERIODS
from kalshi_core.settings import get_settings
from kalshi_pipeline.defs.partitions import history_days
from kalshi_pipeline.defs.resources import KalshiApiResource, WorkbenchDatabase

MAX_DAYS_PER_RUN = 30


class HistoryConfig(dg.Config):
    """The universe to backfill; all three empty = the watchlist from settings."""

    series: list[str] = Field(default_factory=list, description="Series tickers (all markets).")
    events: list[str] = Field(default_factory=list, description="Event tickers.")
    tickers: list[str] = Field(default_factory=list, description="Market tickers.")
    days_per_fetch: int = Field(
        default=0,
        ge=0,
        description="Days fetched together before being written day by day (0 = automatic: "
        "1 for trades and 1-minute candles, more for hourly/daily candles).",
    )


class CandleConfig(HistoryConfig):
    """The universe plus the candle periods to backfill."""

    periods: list[int] = Field(
        default_factory=lambda: [1],
        description=f"Candle periods in minutes: any of {', '.join(map(str, CANDLE_PERIODS))}.",
    )


def _universe(config: HistoryConfig) -> HistoryUniverse:
    universe = HistoryUniverse.of(config.series, config.events, config.tickers)
    if universe.empty:
        universe = HistoryUniverse.from_settings(get_settings())
    if universe.empty:
        raise dg.Failure(
            "no universe to backfill: set series/events/tickers in the run config, or "
            "WATCHLIST_SERIES / WATCHLIST_EVENTS / WATCHLIST_TICKERS in the environment"
        )
    return universe


def _days(context: dg.AssetExecutionContext) -> tuple[date, date]:
    window = context.partition_time_window
    return window.start.astimezone(UTC).date(), window.end.astimezone(UTC).date()


def _progress(context: dg.AssetExecutionContext) -> Callable[[DayResult], None]:
    def on_day(result: DayResult) -> None:
        context.log.info(
            f"{result.kind} {result.day}"
            + (f" ({result.period_minutes}m)" if result.period_minutes else "")
            + f": {result.rows} rows ({result.rows_live} live, {result.rows_historical} "
            f"historical) from {result.markets_with_rows} markets"
        )

    return on_day


def _metadata(
    universe: HistoryUniverse, reports: list[BackfillReport]
) -> "dict[str, dg.RawMetadataValue]":
    first = reports[0]
    meta: dict[str, dg.RawMetadataValue] = {
        "universe": dg.MetadataValue.json(universe.describe()),
        "days": len(first.days),
        "first_day": first.start.isoformat(),
        "last_day_exclusive": first.end.isoformat(),
        "markets": first.markets,
        "markets_live": first.markets_live,
        "markets_historical": first.markets_historical,
        "rows": sum(r.rows for r in reports),
        "rows_live": sum(r.rows_live for r in reports),
        "rows_historical": sum(r.rows_historical for r in reports),
        "requests": sum(r.requests for r in reports),
        "retries": sum(r.retries for r in reports),
        "http_429s": sum(r.http_429s for r in reports),
        "requests_live": sum(r.calls_live for r in reports),
        "requests_historical": sum(r.calls_historical for r in reports),
        "requests_other": sum(r.calls_other for r in reports),
        "rate_wait_s": round(sum(r.rate_wait_s for r in reports), 3),
        "cutoff_refetches": sum(r.cutoff_refetches for r in reports),
        "rerouted_markets": sum(r.rerouted_markets for r in reports),
        "wall_s": round(sum(r.wall_s for r in reports), 3),
    }
    if len(reports) > 1 or first.period_minutes is not None:
        meta["per_period"] = dg.MetadataValue.json(
            {
                str(r.period_minutes): {"rows": r.rows, "requests": r.requests}
                for r in reports
                if r.period_minutes is not None
            }
        )
    return meta


@dg.asset(
    partitions_def=history_days,
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_DAYS_PER_RUN),
    group_name="history",
    kinds={"postgres"},
    tags={"kalshi/layer": "history"},
    description="Public trades of the universe's markets (price, count, taker side), one row "
    "per trade, from /markets/trades and /historical/trades split at the historical cutoff. "
    "Postgres table `market_trades`; a partition is a UTC day of trade times.",
)
def market_trades(
    context: dg.AssetExecutionContext,
    config: HistoryConfig,
    kalshi: KalshiApiResource,
    database: WorkbenchDatabase,
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    universe = _universe(config)
    start, end = _days(context)

    async def run() -> BackfillReport:
        async with kalshi.client() as client, database.repositories() as repos:
            runner = HistoryBackfill(
                client, repos.history, markets=repos.markets, on_day=_progress(context)
            )
            return await runner.trades(
                universe, start, end, days_per_fetch=config.days_per_fetch or None
            )

    report = asyncio.run(run())
    return dg.MaterializeResult(metadata=_metadata(universe, [report]))


@dg.asset(
    partitions_def=history_days,
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_DAYS_PER_RUN),
    group_name="history",
    kinds={"postgres"},
    tags={"kalshi/layer": "history"},
    description="Candlesticks of the universe's markets (yes bid/ask OHLC, trade-price OHLC when "
    "traded, volume, open interest) for 1-minute, hourly and/or daily periods, from the batch "
    "endpoint for live markets and /historical/markets/{ticker}/candlesticks for markets settled "
    "before the cutoff. Postgres table `market_candles`; a partition is a UTC day of candle end "
    "times. The backtest engine reads them with load_quotes(source='candles').",
)
def market_candles(
    context: dg.AssetExecutionContext,
    config: CandleConfig,
    kalshi: KalshiApiResource,
    database: WorkbenchDatabase,
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    universe = _universe(config)
    periods = list(dict.fromkeys(config.periods))
    bad = [p for p in periods if p not in CANDLE_PERIODS]
    if bad or not periods:
        raise dg.Failure(f"periods must be a non-empty subset of {CANDLE_PERIODS}, got {periods}")
    start, end = _days(context)

    async def run() -> list[BackfillReport]:
        reports: list[BackfillReport] = []
        async with kalshi.client() as client, database.repositories() as repos:
            runner = HistoryBackfill(
                client, repos.history, markets=repos.markets, on_day=_progress(context)
            )
            for period in periods:
                reports.append(
                    await runner.candles(
                        universe,
                        start,
                        end,
                        period=period,
                        days_per_fetch=config.days_per_fetch or None,
                    )
                )
        return reports

    reports = asyncio.run(run())
    return dg.MaterializeResult(metadata=_metadata(universe, reports))
