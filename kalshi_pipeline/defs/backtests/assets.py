"""One Dagster asset per registered strategy, downstream of `market_snapshots`.

Materialized on demand from the UI (Materialize -> launchpad) with typed config: the universe,
the date range, the data source (polled snapshots, backfilled candles, or the public trade tape
for markets without a recorded book: fills only at prints, docs/STRATEGIES.md), the strategy's
parameters or a parameter grid. A run loads the quotes through the repositories, refuses to
run on data that fails the blocking quality checks, simulates with the vectorbt engine, writes
one `backtest_results` row and shows the headline metrics and the equity curve as metadata.
A sweep's row records the same provenance (`universe`) as a single run's: both are built by
`kalshi_core.backtest.engine.provenance` from the quotes and this run's scope.
"""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import dagster as dg
from pydantic import Field

from kalshi_core.backtest.metrics import check_sharpe_freq
from kalshi_core.backtest.strategies import StrategySpec, list_strategies
from kalshi_core.models import BacktestResult
from kalshi_core.settings import get_settings
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.repositories import MarketFilter
from kalshi_pipeline.defs.resources import WorkbenchDatabase
from kalshi_pipeline.lib.tiers import tier_specs

SPARK = "▁▂▃▄▅▆▇█"
MAX_UNIVERSE = 5000
EVENTS_PAGE = 500  # events listed per request while gathering a tape's markets


class BacktestConfig(dg.Config):
    """What to backtest. Empty universe lists mean the configured watchlist series."""

    series: list[str] = Field(default_factory=list, description="Series tickers (all markets).")
    events: list[str] = Field(default_factory=list, description="Event tickers.")
    tickers: list[str] = Field(default_factory=list, description="Market tickers.")
    start: str = Field(default="", description="ISO-8601 UTC start; empty = end - lookback_hours")
    end: str = Field(default="", description="ISO-8601 UTC end (exclusive); empty = now")
    lookback_hours: float = Field(default=24.0, gt=0)
    source: Literal["snapshots", "candles", "trades"] = Field(
        default="snapshots",
        description="snapshots | candles (backfilled, with bid/ask closes) | trades (the "
        "public tape, no book: buys fill only at later YES-taker prints, sells at NO-taker "
        "prints, at their price and size)",
    )
    freq: str = Field(default="1min", description="Quote grid (pandas offset).")
    staleness: str = Field(
        default="5min",
        description="Quotes older than this never fill (trades: signals see the last print "
        "for this long; fills never carry a print forward).",
    )
    fill_delay_bars: int = Field(
        default=1, ge=0, description="Bars from a signal to its order (trades: at least 1)."
    )
    max_wait_bars: int = Field(
        default=0,
        ge=0,
        description="Bars an order keeps waiting for a bar that can fill it after it becomes "
        "executable; 0 drops it. On trades most bars hold no print: set it to let an order "
        "meet the next print.",
    )
    sharpe_freq: str = Field(
        default="1h",
        description="Returns resampled to this for Sharpe; not finer than `freq` (a finer one "
        "would inflate the Sharpe, and is refused).",
    )
    params_json: str = Field(default="{}", description="Strategy parameters as a JSON object.")
    grid_json: str = Field(
        default="",
        description="Parameter grid as a JSON object of lists: runs a sweep with a train/test "
        "split and reports the best combination's out-of-sample and deflated Sharpe.",
    )
    split: float = Field(default=0.7, gt=0, lt=1, description="Train share of the time range.")
    min_coverage: float = Field(
        default=0.95, ge=0, le=1, description="Refuse to run below this poll coverage."
    )


def sparkline(values: list[float], width: int = 60) -> str:
    if not values:
        return ""
    step = max(1, len(values) // width)
    pts = values[::step]
    lo, hi = min(pts), max(pts)
    span = (hi - lo) or 1.0
    return "".join(SPARK[int((v - lo) / span * (len(SPARK) - 1))] for v in pts)


async def resolve_universe(repos: Repositories, config: BacktestConfig) -> list[str]:
    settings = get_settings()
    series = config.series or (
        [] if (config.events or config.tickers) else list(settings.watchlist_series)
    )
    tickers = list(config.tickers)
    if config.source == "trades":
        # A tape's markets need no stored quote (imported or backfilled history): read them
        # from the market metadata, through their events.
        events = list(config.events)
        for s in series:
            offset = 0
            while len(events) < MAX_UNIVERSE:
                listed = await repos.events.list(series_ticker=s, limit=EVENTS_PAGE, offset=offset)
                events += [e.event_ticker for e in listed.items]
                if len(listed.items) < EVENTS_PAGE:
                    break
                offset += EVENTS_PAGE
        for e in dict.fromkeys(events):
            tickers += [m.ticker for m in await repos.events.markets_of(e)]
            if len(tickers) >= MAX_UNIVERSE:
                break
    else:
        for s in series:
            page = await repos.markets.get_all_latest(
                MarketFilter(series_ticker=s), MAX_UNIVERSE, 0
            )
            tickers += [q.snapshot.market_ticker for q in page.items]
        for e in config.events:
            page = await repos.markets.get_all_latest(MarketFilter(event_ticker=e), MAX_UNIVERSE, 0)
            tickers += [q.snapshot.market_ticker for q in page.items]
    universe = list(dict.fromkeys(tickers))
    if not universe:
        raise dg.Failure(
            "empty universe: name series/events/tickers in the run config (or set "
            "WATCHLIST_SERIES), and make sure ingestion or a backfill has stored their quotes "
            "(source 'trades': their market and event metadata)"
        )
    return universe[:MAX_UNIVERSE]


def window(config: BacktestConfig) -> tuple[datetime, datetime]:
    end = datetime.fromisoformat(config.end).astimezone(UTC) if config.end else datetime.now(UTC)
    start = (
        datetime.fromisoformat(config.start).astimezone(UTC)
        if config.start
        else end - timedelta(hours=config.lookback_hours)
    )
    if start >= end:
        raise dg.Failure(f"start {start.isoformat()} must be before end {end.isoformat()}")
    return start, end


async def gate_on_quality(
    repos: Repositories, start: datetime, end: datetime, min_coverage: float
) -> dict[str, Any]:
    """The blocking checks of `market_snapshots`, evaluated over the backtest's own range: a
    backtest on crossed quotes or a holed poll record would be quietly wrong."""
    q = await repos.markets.quality(start, end, stale_after=timedelta(hours=6))
    if q.crossed or q.out_of_range or q.duplicate_keys:
        raise dg.Failure(
            f"blocked by data quality between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M}: "
            f"{q.crossed} crossed, {q.out_of_range} out-of-range quotes, {q.duplicate_keys} "
            f"duplicate keys (see the partition_quotes_valid check)",
            metadata={"examples": ", ".join(q.examples[:10])},
        )
    coverage: dict[str, Any] = {"rows": q.rows, "markets": q.markets}
    # each enabled tier on its own grid (the catalogue's cadence comes from the rate plan)
    for tier, spec in tier_specs(get_settings()).items():
        rep = await repos.polls.coverage(tier, start, end, spec.grid.interval_s)
        if rep.ok:
            coverage[f"{tier}_coverage"] = round(rep.ratio, 4)
    best = max((v for k, v in coverage.items() if k.endswith("_coverage")), default=None)
    if best is not None and best < min_coverage:
        raise dg.Failure(
            f"blocked: poll coverage {best:.1%} over the range is below min_coverage "
            f"{min_coverage:.0%} (see the partition_poll_coverage check); lower min_coverage "
            "to run anyway — gaps are blanked, never forward-filled"
        )
    return coverage


def result_metadata(result: BacktestResult, result_id: int) -> dict[str, Any]:
    curve = [v for _, v in result.equity_curve]
    meta: dict[str, Any] = {
        "backtest_id": result_id,
        "api": dg.MetadataValue.url(
            f"{get_settings().api_public_url.rstrip('/')}/api/v1/backtests/{result_id}"
        ),
        "total_pnl": float(result.total_pnl),
        "fees_paid": float(result.fees_paid),
        "settlement_pnl": float(result.settlement_pnl),
        "exit_pnl": float(result.exit_pnl),
        "sharpe_ratio": result.sharpe_ratio,
        "sharpe_frequency": result.sharpe_frequency,
        "max_drawdown": float(result.max_drawdown),
        "win_rate": result.win_rate,
        "num_trades": result.num_trades,
        "deflated_sharpe": result.deflated_sharpe,
        "out_of_sample_sharpe": result.out_of_sample_sharpe,
        "params": dg.MetadataValue.json(result.params),
        "equity_curve": dg.MetadataValue.md(
            f"`{sparkline(curve)}`\n\nfrom {curve[0]:.2f} to {curve[-1]:.2f} "
            f"(min {min(curve):.2f}, max {max(curve):.2f}) over {len(curve)} points"
            if curve
            else "no equity curve (no trades)"
        ),
    }
    return {k: v for k, v in meta.items() if v is not None}


def build_backtest_asset(spec: StrategySpec) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"backtest_{spec.name}",
        group_name="backtests",
        deps=["market_snapshots"],
        kinds={"python", "postgres"},
        tags={"kalshi/strategy": spec.name},
        op_tags={"kalshi/backtest": spec.name},
        # The strategy's whole docstring: the Dagster UI is where its rule is read.
        description="\n\n".join(
            filter(
                None,
                (
                    spec.details,
                    f"Backtest of strategy `{spec.name}` (vectorbt; fills at the bid/ask, or on "
                    "trade-only data at later prints of the order's side, Kalshi fees, "
                    "settlement at $1/$0); each materialization writes one `backtest_results` "
                    "row.",
                ),
            )
        ),
    )
    def backtest(
        context: dg.AssetExecutionContext, config: BacktestConfig, database: WorkbenchDatabase
    ) -> dg.MaterializeResult:  # type: ignore[type-arg]
        from kalshi_core.backtest import load_quotes, run_backtest, run_sweep

        try:
            params = json.loads(config.params_json or "{}")
            grid = json.loads(config.grid_json) if config.grid_json else None
        except json.JSONDecodeError as exc:
            raise dg.Failure(f"params_json/grid_json is not valid JSON: {exc}") from exc
        try:
            # The engine refuses this too; checking the config first fails before any load.
            check_sharpe_freq(config.freq, config.sharpe_freq)
        except ValueError as exc:
            raise dg.Failure(f"freq/sharpe_freq: {exc}") from exc
        if config.source == "trades" and config.fill_delay_bars < 1:
            # The engine refuses it too (a bar's prints partly precede its signal).
            raise dg.Failure("source 'trades' needs fill_delay_bars >= 1")
        start, end = window(config)

        async def run() -> dg.MaterializeResult:  # type: ignore[type-arg]
            async with database.repositories() as repos:
                universe = await resolve_universe(repos, config)
                if config.source == "trades":
                    # The gate checks polled quotes (crossed books, poll coverage); a tape has
                    # neither, and the database's constraints already hold its prices in [0, 1].
                    coverage: dict[str, Any] = {"quality_gate": "not applicable to a trade tape"}
                else:
                    coverage = await gate_on_quality(repos, start, end, config.min_coverage)
                quotes = await load_quotes(
                    repos,
                    universe,
                    start,
                    end,
                    source=config.source,
                    freq=config.freq,
                    # snapshots: known while their tier kept observing them (coverage spans);
                    # staleness applies to candles and to data without recorded coverage
                    staleness=config.staleness,
                    max_wait_bars=config.max_wait_bars,
                )
                # What was asked for; the engine adds what it ran on (`tickers`: the resolved
                # universe, grid, staleness, ...), the same for a sweep and a single run.
                scope = {
                    "series": config.series,
                    "events": config.events,
                    "requested_tickers": config.tickers,
                    "markets": len(universe),
                }
                extra: dict[str, Any] = {}
                if grid:
                    sweep = run_sweep(
                        quotes, spec.name, grid, split=config.split, base_params=params,
                        fill_delay_bars=config.fill_delay_bars,
                        sharpe_freq=config.sharpe_freq, universe=scope,
                    )  # fmt: skip
                    if sweep.best_result is None:
                        raise dg.Failure("the sweep produced no result (no combination traded)")
                    result = sweep.best_result.model_copy(
                        update={
                            "deflated_sharpe": sweep.deflated_sharpe,
                            "out_of_sample_sharpe": sweep.out_of_sample_sharpe,
                        }
                    )
                    extra = {"trials": sweep.n_trials, "split_time": sweep.split_time.isoformat()}
                else:
                    result = run_backtest(
                        quotes, spec.name, params, fill_delay_bars=config.fill_delay_bars,
                        sharpe_freq=config.sharpe_freq, universe=scope,
                    )  # fmt: skip
                result_id = await repos.backtests.save(result)
            context.log.info(f"backtest {spec.name}: id {result_id}, pnl {result.total_pnl}")
            meta = result_metadata(result, result_id)
            meta.update(coverage)
            meta.update(extra)
            meta["markets"] = len(universe)
            meta["window"] = f"{start.isoformat()} – {end.isoformat()}"
            meta["data_source"] = result.data_source
            return dg.MaterializeResult(metadata=meta)

        return asyncio.run(run())

    return backtest


@dg.definitions
def backtests() -> dg.Definitions:
    """Every registered strategy gets its asset: a new strategy is one function + params model."""
    return dg.Definitions(assets=[build_backtest_asset(spec) for spec in list_strategies()])
