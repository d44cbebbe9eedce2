"""`imported_history`: Kalshi dumps (CSV or Parquet of markets, trades, candlesticks) loaded
into `markets`, `market_trades` and `market_candles`, the tables the history backfill fills.

Materialized on demand with the path of a file or folder (e.g. the public dataset's `kalshi/`
folder with `markets/*.parquet` and `trades/*.parquet`). The import is all or nothing and
idempotent (`kalshi_core.imports`): a refused input fails the run with every problem by
file:line and column and writes nothing; importing the same files again changes nothing, and
the metadata then shows every row unchanged.
"""

import asyncio
from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import Field

from kalshi_core.imports import DumpImportError, ImportReport, import_dump
from kalshi_core.imports.layouts import CANDLE_PERIODS
from kalshi_core.imports.loader import BATCH_ROWS
from kalshi_pipeline.defs.resources import WorkbenchDatabase


class ImportConfig(dg.Config):
    """What to import: a file or a folder of dump files, searched recursively."""

    path: str = Field(description="A .csv, .csv.gz or .parquet file, or a folder of them.")
    kind: Literal["auto", "markets", "trades", "candles"] = Field(
        default="auto",
        description="What the files hold; auto = recognised from each file's columns.",
    )
    period: int | None = Field(
        default=None,
        description=f"Candle period in minutes ({', '.join(map(str, CANDLE_PERIODS))}) for "
        "candle files without a period_interval column.",
    )
    batch_rows: int = Field(
        default=BATCH_ROWS, ge=1, description="Rows read and staged at a time (memory)."
    )


@dg.asset(
    group_name="history",
    kinds={"postgres"},
    tags={"kalshi/layer": "history"},
    description="Kalshi dumps a user already has (markets, trades, candlesticks; CSV or Parquet; "
    "cents or *_dollars/*_fp) imported into markets, market_trades and market_candles, all or "
    "nothing, idempotently. Run it with the path of a file or folder; docs/IMPORT.md lists "
    "the accepted layouts.",
)
def imported_history(
    context: dg.AssetExecutionContext, config: ImportConfig, database: WorkbenchDatabase
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    if config.period is not None and config.period not in CANDLE_PERIODS:
        raise dg.Failure(f"period must be one of {CANDLE_PERIODS} minutes, got {config.period}")

    async def run() -> ImportReport:
        async with database.repositories() as repos:
            return await import_dump(
                [Path(config.path)],
                history=repos.history,
                markets=repos.markets,
                kind=config.kind,
                period=config.period,
                batch_rows=config.batch_rows,
                on_file=lambda f: context.log.info(f"read {f.name}: {f.rows} {f.kind} rows"),
            )

    try:
        report = asyncio.run(run())
    except DumpImportError as exc:
        raise dg.Failure(
            description=exc.describe(),
            metadata={
                "problems": exc.total,
                "first_problems": dg.MetadataValue.json([str(p) for p in exc.problems]),
            },
        ) from None
    context.log.info(report.summary())
    metadata: dict[str, dg.RawMetadataValue] = dict(report.metadata())
    metadata["file_list"] = dg.MetadataValue.json(report.file_list())
    return dg.MaterializeResult(metadata=metadata)
