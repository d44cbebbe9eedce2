"""`calibration`: the reliability of trade prices per series, stored in `calibration_results`.

One partition per series with settled trade prints, plus `all` (every series pooled); the
partitions are registered by `calibration_scopes_sensor`. Materialized on demand (select
partitions -> Materialize; a backfill runs many): each run reads the scope's prints from
`market_trades` joined with `markets`/`events`/`series`, computes the analysis with
`kalshi_core.analysis.calibration` (definition: docs/CALIBRATION.md) and upserts one row per
parameter set, so re-materializing a partition replaces its analysis (same id).

Inline checks: `calibration_bands_add_up` recounts, in SQL alone, the prints the definition
keeps and compares them with the bands' totals (a print left out of every band, or counted by
the wrong rule, fails it); `calibration_has_observations` warns about a scope whose prints were
all excluded.
"""

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Any

import dagster as dg
from pydantic import Field, ValidationError

from kalshi_core.analysis.calibration import (
    DEFAULT_CLOSE_WINDOW_S,
    DEFAULT_EDGES,
    CalibrationError,
    CalibrationParams,
    CalibrationResult,
    run_calibration,
)
from kalshi_core.settings import get_settings
from kalshi_pipeline.defs.analysis.partitions import calibration_scopes, scope_series
from kalshi_pipeline.defs.resources import WorkbenchDatabase


class CalibrationConfig(dg.Config):
    """How to band and what to leave out; the defaults are the documented analysis."""

    close_window_minutes: float = Field(
        default=DEFAULT_CLOSE_WINDOW_S / 60,
        ge=0,
        description="Prints at or after close_time minus this many minutes are left out "
        "(whole seconds).",
    )
    band_edges: list[str] = Field(
        default_factory=lambda: [str(e) for e in DEFAULT_EDGES],
        description="Price band edges in dollars, from 0 to 1, strictly increasing; a price on "
        "an inner edge belongs to the upper band, 1.00 to the last band.",
    )
    flat_rate: str = Field(
        default="",
        description="Quadratic taker rate for series of fee_type 'flat' (e.g. '0.035'); empty: "
        "such a series fails with a message naming it.",
    )


def params_from(config: CalibrationConfig, series_ticker: str | None) -> CalibrationParams:
    """The analysis parameters of a run, or a `dg.Failure` saying what is wrong."""
    try:
        seconds = Decimal(str(config.close_window_minutes)) * 60
        if seconds != seconds.to_integral_value():
            raise dg.Failure(
                f"close_window_minutes {config.close_window_minutes} is not a whole number of "
                "seconds"
            )
        return CalibrationParams(
            series_ticker=series_ticker,
            close_window_s=int(seconds),
            band_edges=tuple(Decimal(e) for e in config.band_edges),
            flat_rate=Decimal(config.flat_rate) if config.flat_rate else None,
        )
    except (ValidationError, InvalidOperation) as exc:
        raise dg.Failure(f"bad calibration config: {exc}") from exc


def _pct(value: Decimal | None) -> str:
    return "–" if value is None else f"{value * 100:+.2f}%"


def _num(value: Decimal | None, places: int = 4) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def bands_markdown(result: CalibrationResult) -> str:
    """The band table as the Dagster UI shows it."""
    last = len(result.bands) - 1
    lines = [
        "| band | observations | contracts | mean price | YES win rate | return after fees |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for i, b in enumerate(result.bands):
        close = "]" if i == last else ")"
        lines.append(
            f"| [{b.lower:.2f}, {b.upper:.2f}{close} | {b.observations} | {b.contracts:f} | "
            f"{_num(b.mean_price)} | {_num(b.win_rate)} | {_pct(b.return_after_fees)} |"
        )
    return "\n".join(lines)


def result_metadata(result: CalibrationResult, result_id: int) -> dict[str, Any]:
    settings = get_settings()  # where users reach the API and the dashboard
    return {
        "calibration_id": result_id,
        "api": dg.MetadataValue.url(
            f"{settings.api_public_url.rstrip('/')}/api/v1/calibration/{result_id}"
        ),
        "dashboard": dg.MetadataValue.url(
            f"{settings.dashboard_public_url.rstrip('/')}/calibration?id={result_id}"
        ),
        "scope": result.series_ticker or "all series",
        "brier": dg.MetadataValue.float(float(result.brier)) if result.brier is not None else None,
        "observations": dg.MetadataValue.int(result.observations),
        "contracts": dg.MetadataValue.float(float(result.contracts)),
        "markets": dg.MetadataValue.int(result.markets),
        "close_window_s": result.close_window_s,
        "excluded": dg.MetadataValue.json(result.exclusions),
        "bands": dg.MetadataValue.md(bands_markdown(result)),
    }


@dg.asset(
    group_name="analysis",
    kinds={"postgres"},
    partitions_def=calibration_scopes,
    deps=[
        dg.AssetDep("market_trades", partition_mapping=dg.AllPartitionMapping()),
        dg.AssetDep("markets"),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "calibration_bands_add_up",
            asset="calibration",
            description="The bands' observations and contracts equal an SQL recount of the "
            "prints the definition keeps (settled yes/no, before the pre-close window, "
            "count > 0, price > 0).",
        ),
        dg.AssetCheckSpec(
            "calibration_has_observations",
            asset="calibration",
            description="The scope has at least one observation (a warning: a series whose "
            "prints all fall in the pre-close window gives empty bands).",
        ),
    ],
    description="Calibration (reliability) of trade prices per series (partition `all`: every "
    "series pooled): per price band, observations, contracts, mean price, YES win rate and "
    "the return of buying YES after Kalshi's taker fee, plus the Brier score. Table "
    "`calibration_results`; definition in docs/CALIBRATION.md.",
)
def calibration(
    context: dg.AssetExecutionContext, config: CalibrationConfig, database: WorkbenchDatabase
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    params = params_from(config, scope_series(context.partition_key))

    async def run() -> tuple[CalibrationResult, int, tuple[int, Decimal]]:
        async with database.repositories() as repos:
            try:
                result = await run_calibration(repos.calibration, params)
            except CalibrationError as exc:
                raise dg.Failure(str(exc)) from exc
            recount = await repos.calibration.kept_totals(
                params.series_ticker, params.close_window_s
            )
            result_id = await repos.calibration.save(result)
        return result, result_id, recount

    result, result_id, (kept, kept_contracts) = asyncio.run(run())
    band_obs = sum(b.observations for b in result.bands)
    band_contracts = sum((b.contracts for b in result.bands), Decimal(0))
    context.log.info(
        f"calibration {context.partition_key}: {result.observations} observations, "
        f"Brier {result.brier}, stored as id {result_id}"
    )
    checks = [
        dg.AssetCheckResult(
            check_name="calibration_bands_add_up",
            passed=band_obs == kept and band_contracts == kept_contracts,
            metadata={
                "band_observations": band_obs,
                "sql_observations": kept,
                "band_contracts": float(band_contracts),
                "sql_contracts": float(kept_contracts),
            },
        ),
        dg.AssetCheckResult(
            check_name="calibration_has_observations",
            passed=result.observations > 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"observations": result.observations, "excluded": result.exclusions},
        ),
    ]
    metadata = {k: v for k, v in result_metadata(result, result_id).items() if v is not None}
    return dg.MaterializeResult(metadata=metadata, check_results=checks)
