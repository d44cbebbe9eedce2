"""`import_dump`: files -> validated rows -> staging -> the backfill's tables, all or nothing.

    async with await Database.connect(url, command_timeout=None) as db:
        repos = repositories(db)
        report = await import_dump([Path("kalshi")], history=repos.history, markets=repos.markets)

How an import goes:
1. every file is found and its header (or Parquet schema) read; its kind is recognised from its
   columns (or forced) and its columns bound to the kind's fields. Any file that cannot be read
   as its kind stops the import here, with every such file named at once;
2. in one staging session (one transaction), each file streams in batches: rows are converted
   and validated (Decimal prices, aware times) and COPYed into staging. A bad value is reported
   with file, line and column; validation goes on to the end so the error lists the first
   problems and counts all, but nothing more is staged once one is found;
3. duplicates are found over the whole input: the same key with the same values is counted and
   skipped; with different values it refuses the import, naming where each version is;
4. trades and candles are upserted from staging; markets are merged with what is stored (a
   field the dump does not hold keeps its stored value) and written through
   `MarketRepository.upsert_markets`, only those that change; from when each market's close
   was known is recorded (`kalshi_core.closes`: from the open when the dump says the market
   cannot close early, else at the close); then the session commits.

An exception anywhere before the commit leaves `market_trades` and `market_candles` as they
were. Markets are written by the markets repository in chunks after the whole input has been
validated, just before the commit: only a crash in that last step can leave some (valid)
markets written, and running the import again completes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

import orjson

from kalshi_core.closes import KnownClose, known_close
from kalshi_core.imports.files import DumpReader, ReadError, discover, open_reader
from kalshi_core.imports.layouts import CLOSE_SAID, CREATED, KINDS, Kind, RowMapper, detect_kind
from kalshi_core.imports.problems import MAX_LISTED, DumpImportError, Problem, ProblemLog
from kalshi_core.logs import get_logger
from kalshi_core.models import Market
from kalshi_core.storage.repositories import (
    HistoryImportSession,
    HistoryRepository,
    ImportConflict,
    ImportCounts,
    MarketRepository,
    StagedMarket,
)

log = get_logger(__name__)

BATCH_ROWS: Final = 20_000
MARKET_CHUNK: Final = 2_000
TABLES: Final[dict[Kind, str]] = {
    "markets": "markets",
    "trades": "market_trades",
    "candles": "market_candles",
}
# What `MarketRepository.upsert_markets` compares to decide that a market changed.
_COMPARED: Final = tuple(
    f for f in Market.model_fields if f not in ("ticker", "series_ticker", "updated_at")
)


@dataclass(frozen=True, slots=True)
class FileReport:
    name: str
    kind: Kind
    format: str
    rows: int
    ignored_columns: list[str]


@dataclass(slots=True)
class ImportReport:
    """What an import wrote; `metadata()` is the Dagster materialization metadata."""

    files: list[FileReport] = field(default_factory=list)
    tables: dict[str, ImportCounts] = field(default_factory=dict)
    markets_older_than_stored: int = 0
    # rows added to market_close_times (`kalshi_core.closes`): closes known from the open (the
    # dump says the market cannot close early) and closes known only at the close
    closes_known_from_open: int = 0
    closes_known_at_close: int = 0
    wall_s: float = 0.0

    @property
    def rows_read(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(c.duplicates for c in self.tables.values())

    def metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "files": len(self.files),
            "rows_read": self.rows_read,
            "skipped_duplicates": self.duplicates,
            "markets_older_than_stored": self.markets_older_than_stored,
            "closes_known_from_open": self.closes_known_from_open,
            "closes_known_at_close": self.closes_known_at_close,
            "wall_s": round(self.wall_s, 3),
        }
        for table, c in self.tables.items():
            out[f"{table}_rows"] = c.rows
            out[f"{table}_inserted"] = c.inserted
            out[f"{table}_updated"] = c.updated
            out[f"{table}_unchanged"] = c.unchanged
            out[f"{table}_duplicates"] = c.duplicates
        return out

    def file_list(self) -> list[dict[str, Any]]:
        return [
            {
                "file": f.name,
                "kind": f.kind,
                "format": f.format,
                "rows": f.rows,
                "ignored_columns": f.ignored_columns,
            }
            for f in self.files
        ]

    def summary(self) -> str:
        lines = [
            f"imported {self.rows_read} rows from {len(self.files)} file(s) in {self.wall_s:.1f} s"
        ]
        for table, c in self.tables.items():
            if c.rows:
                lines.append(
                    f"  {table}: {c.inserted} inserted, {c.updated} updated, {c.unchanged} "
                    f"unchanged, {c.duplicates} duplicate rows skipped"
                )
        if self.closes_known_from_open or self.closes_known_at_close:
            lines.append(
                f"  closes: {self.closes_known_from_open} known from the market's open (cannot "
                f"close early), {self.closes_known_at_close} known only at the close"
            )
        if self.markets_older_than_stored:
            lines.append(
                f"  markets: {self.markets_older_than_stored} kept as stored (stored "
                "updated_time is newer than the dump's)"
            )
        for f in self.files:
            if f.ignored_columns:
                lines.append(f"  {f.name}: ignored columns {', '.join(f.ignored_columns)}")
        return "\n".join(lines)


def _plan(
    paths: Sequence[Path], kind: Kind | Literal["auto"], period: int | None
) -> list[RowMapper]:
    """Every file's reader bound to its kind, or DumpImportError naming every bad file."""
    files, problems = discover(paths)
    mappers: list[RowMapper] = []
    for src, f in enumerate(files):
        try:
            reader: DumpReader = open_reader(f)
        except ReadError as exc:
            problems.append(exc.problem)
            continue
        k = detect_kind(reader.columns) if kind == "auto" else kind
        if k is None:
            problems.append(
                Problem(
                    f.name,
                    "cannot tell whether this holds markets, trades or candles (the kinds an "
                    f"import reads) from its columns ({', '.join(reader.columns)}); if it is one "
                    "of them, name it (--kind)",
                )
            )
            continue
        bound = RowMapper.bind(k, reader, src, period)
        if isinstance(bound, list):
            problems += bound
        else:
            mappers.append(bound)
    if problems:
        raise DumpImportError(problems)
    if not mappers:
        raise DumpImportError([Problem(", ".join(map(str, paths)), "nothing to import")])
    return mappers


async def _stage(session: HistoryImportSession, kind: Kind, records: list[Any]) -> None:
    if not records:
        return
    if kind == "trades":
        await session.stage_trades(records)
    elif kind == "candles":
        await session.stage_candles(records)
    else:
        await session.stage_markets(records)


def _conflict_problems(
    conflicts: list[ImportConflict], mappers: dict[int, RowMapper], total: int
) -> DumpImportError:
    problems: list[Problem] = []
    for c in conflicts:
        (src, line), *others = c.locations
        first = mappers[src].reader
        elsewhere = ", ".join(
            f"{mappers[s].reader.file.name}:{'' if mappers[s].reader.unit == 'line' else 'row '}{n}"
            for s, n in others
        )
        problems.append(
            Problem(
                first.file.name,
                f"{c.table} key {c.key!r} is given different values here and at {elsewhere}",
                line=line,
                unit=first.unit,
            )
        )
    return DumpImportError(problems, total)


def merge_market(staged: StagedMarket) -> Market:
    """The dump's fields over the stored market: a field the dump does not hold keeps its
    stored value. A dump without `updated_time` is metadata of unknown age: the result carries
    none, which `upsert_markets` lets overwrite (see docs/IMPORT.md)."""
    fields = orjson.loads(staged.fields_json)
    for key in (CLOSE_SAID, CREATED):
        fields.pop(key, None)
    base = staged.stored.model_dump() if staged.stored is not None else {}
    merged = {**base, **fields, "ticker": staged.ticker}
    if "updated_at" not in fields:
        merged["updated_at"] = None
    return Market.model_validate(merged)


def market_close(staged: StagedMarket, market: Market) -> KnownClose | None:
    """From when the close of an imported market was known (`kalshi_core.closes`): from its
    open when the dump itself says it cannot close early, else at its close."""
    fields = orjson.loads(staged.fields_json)
    created = fields.get(CREATED)
    return known_close(
        market.ticker,
        market.close_time,
        can_close_early=fields.get(CLOSE_SAID),
        open_time=market.open_time,
        created_time=None if created is None else datetime.fromisoformat(created),
    )


def market_change(new: Market, old: Market | None) -> Literal["insert", "update", "same", "stale"]:
    """What `upsert_markets` will do with `new` over `old` (mirrors its WHERE clause)."""
    if old is None:
        return "insert"
    if (
        old.updated_at is not None
        and new.updated_at is not None
        and new.updated_at < old.updated_at
    ):
        return "stale"
    if any(getattr(new, f) != getattr(old, f) for f in _COMPARED) or (
        new.series_ticker is not None and new.series_ticker != old.series_ticker
    ):
        return "update"
    return "same"


async def import_dump(
    paths: Sequence[Path],
    *,
    history: HistoryRepository,
    markets: MarketRepository,
    kind: Kind | Literal["auto"] = "auto",
    period: int | None = None,
    batch_rows: int = BATCH_ROWS,
    market_chunk: int = MARKET_CHUNK,
    on_file: Callable[[FileReport], None] | None = None,
) -> ImportReport:
    """Import dump files or folders (see the module docstring); raises `DumpImportError` with
    file:line:column problems when the input is refused, in which case nothing was written."""
    if kind != "auto" and kind not in KINDS:
        raise ValueError(f"kind must be auto or one of {KINDS}, got {kind!r}")
    if period is not None and period not in (1, 60, 1440):
        raise ValueError(f"period must be 1, 60 or 1440 minutes, got {period}")
    if batch_rows < 1 or market_chunk < 1:
        raise ValueError("batch_rows and market_chunk must be >= 1")
    t0 = time.perf_counter()
    mappers = _plan(paths, kind, period)
    by_src = {m.src: m for m in mappers}
    report = ImportReport()
    async with history.import_session() as session:
        problems = ProblemLog()
        for mapper in mappers:
            reader = mapper.reader
            rows_read = 0
            try:
                for lines, rows in reader.batches(mapper.used, batch_rows):
                    records = mapper.records(rows, lines, problems)
                    rows_read += len(rows)
                    if not problems:  # once anything is bad nothing will be written
                        await _stage(session, mapper.kind, records)
            except ReadError as exc:
                problems.add(exc.problem)
            file_report = FileReport(
                reader.file.name, mapper.kind, reader.file.format, rows_read, mapper.ignored
            )
            report.files.append(file_report)
            log.info("import file read", extra={"file": reader.file.name, "rows": rows_read})
            if on_file is not None:
                on_file(file_report)
        problems.raise_if_any()

        staged = {c.table: c for c in await session.staged()}
        conflicting = sum(c.conflicting_keys for c in staged.values())
        if conflicting:
            raise _conflict_problems(await session.conflicts(MAX_LISTED), by_src, conflicting)

        for counts in await session.write_history():
            report.tables[counts.table] = counts

        done = {"insert": 0, "update": 0, "same": 0, "stale": 0}
        from_open = at_close = 0
        async for chunk in session.staged_markets(market_chunk):
            changed: list[Market] = []
            closes: list[KnownClose] = []
            for staged_market in chunk:
                market = merge_market(staged_market)
                what = market_change(market, staged_market.stored)
                done[what] += 1
                if what in ("insert", "update"):
                    changed.append(market)
                # Unchanged markets too: an import cut short after its markets were written
                # is completed by running it again. A stale row says nothing of the stored close.
                close = None if what == "stale" else market_close(staged_market, market)
                if close is not None:
                    closes.append(close)
            if changed:
                await markets.upsert_markets(changed)
            if closes:
                recorded = await session.record_known_closes(closes)
                from_open += recorded.from_open
                at_close += recorded.at_close
        m = staged["markets"]
        report.tables = {
            "markets": ImportCounts(
                "markets",
                rows=m.rows,
                inserted=done["insert"],
                updated=done["update"],
                unchanged=done["same"] + done["stale"],
            ),
            **report.tables,
        }
        report.markets_older_than_stored = done["stale"]
        report.closes_known_from_open = from_open
        report.closes_known_at_close = at_close
    report.wall_s = time.perf_counter() - t0
    log.info("dump imported", extra=report.metadata())
    return report
