"""Bring your own data: Kalshi dumps (CSV or Parquet of markets, trades, candlesticks) into the
tables the history backfill fills (`markets`, `market_trades`, `market_candles`).

    python -m kalshi_core.imports PATH [PATH ...] [--kind auto|markets|trades|candles]

`loader.import_dump` streams any number of files (or folders of them, such as the public
dataset's `kalshi/markets/*.parquet` and `kalshi/trades/*.parquet`) in bounded memory and
writes all of it or nothing; `layouts` says which columns are accepted (Kalshi's names, cents
or `*_dollars` / `*_fp`); a refused input raises `DumpImportError` naming file:line and column.
See docs/IMPORT.md.
"""

from kalshi_core.imports.layouts import KINDS, Kind
from kalshi_core.imports.loader import FileReport, ImportReport, import_dump
from kalshi_core.imports.problems import DumpImportError, Problem

__all__ = [
    "KINDS",
    "DumpImportError",
    "FileReport",
    "ImportReport",
    "Kind",
    "Problem",
    "import_dump",
]
