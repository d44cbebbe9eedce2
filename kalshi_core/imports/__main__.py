"""Command line: import Kalshi dumps into the workbench's database.

    python -m kalshi_core.imports PATH [PATH ...] [--kind auto|markets|trades|candles]
                                  [--period 1|60|1440] [--database-url URL]

PATH is a .csv, .csv.gz or .parquet file or a folder of them (searched recursively). The
database URL defaults to DATABASE_URL (settings). Exit status: 0 imported, 2 input refused
(nothing written; the problems are printed with file:line and column), 1 any other failure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import asyncpg

from kalshi_core.imports.layouts import CANDLE_PERIODS, KINDS
from kalshi_core.imports.loader import BATCH_ROWS, FileReport, ImportReport, import_dump
from kalshi_core.imports.problems import DumpImportError
from kalshi_core.logs import configure_logging
from kalshi_core.settings import get_settings
from kalshi_core.storage.database import Database, repositories


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m kalshi_core.imports",
        description="Import Kalshi dumps (markets, trades, candlesticks; CSV or Parquet) into "
        "the markets, market_trades and market_candles tables. All or nothing; a second import "
        "of the same data changes nothing.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="file or folder")
    p.add_argument(
        "--kind",
        choices=("auto", *KINDS),
        default="auto",
        help="what the files hold (default: recognised from each file's columns)",
    )
    p.add_argument(
        "--period",
        type=int,
        choices=CANDLE_PERIODS,
        help="candle period in minutes, for candle files without a period_interval column",
    )
    p.add_argument("--database-url", help="default: DATABASE_URL from the environment/.env")
    p.add_argument(
        "--batch-rows",
        type=int,
        default=BATCH_ROWS,
        help=f"rows read and staged at a time (memory vs speed; default {BATCH_ROWS})",
    )
    return p


async def _run(args: argparse.Namespace, url: str) -> ImportReport:
    def progress(f: FileReport) -> None:
        sys.stderr.write(f"read {f.name}: {f.rows} {f.kind} rows\n")

    db = await Database.connect(url, min_size=1, max_size=3)
    async with db:
        repos = repositories(db)
        return await import_dump(
            args.paths,
            history=repos.history,
            markets=repos.markets,
            kind=args.kind,
            period=args.period,
            batch_rows=args.batch_rows,
            on_file=progress,
        )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.batch_rows < 1:
        sys.stderr.write("--batch-rows must be >= 1\n")
        return 2
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    url = args.database_url or settings.database_url
    try:
        report = asyncio.run(_run(args, url))
    except DumpImportError as exc:
        sys.stderr.write(f"{exc.describe()}\n")
        return 2
    except (OSError, asyncpg.PostgresError) as exc:
        sys.stderr.write(f"import failed (trades and candles rolled back; run it again): {exc}\n")
        return 1
    sys.stdout.write(report.summary() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
