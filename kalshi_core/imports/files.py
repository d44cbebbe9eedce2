"""Finding a dump's files and streaming their rows: CSV (plain or gzip) and Parquet.

Both readers stream in batches, so memory stays bounded whatever the file size: CSV through the
`csv` module over a (decompressing) text stream, Parquet through pyarrow's batch iterator,
reading only the columns the import uses (one row group's worth of them at a time). Each row
comes with where it is: a CSV record's first physical line (the header is line 1), a Parquet
file's 1-based row.

Column names are normalized (trimmed, lower case, a byte-order mark dropped, `.` -> `_`), so a
JSON payload flattened by pandas (`yes_bid.open_dollars`) or a nested Parquet struct reads like
Kalshi's flat names (`yes_bid_open_dollars`).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, Protocol, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from kalshi_core.imports.problems import Problem

Format = Literal["csv", "parquet"]
_SUFFIXES: Final[dict[str, Format]] = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_GZIP_MAGIC: Final = b"\x1f\x8b"


class ReadError(Exception):
    """A file cannot be read (any further): not CSV/Parquet, truncated, undecodable."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True, slots=True)
class DumpFile:
    """One input file; `name` is how messages name it (the path as the user gave it)."""

    path: Path
    name: str
    format: Format


def normalize_column(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower().replace(".", "_")


def file_format(path: Path) -> Format | None:
    name = path.name.lower()
    for suffix, fmt in _SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    return None


def discover(paths: Sequence[Path]) -> tuple[list[DumpFile], list[Problem]]:
    """The files to import: each given file, and every CSV/Parquet file under a given folder
    (recursively, by path; hidden files and folders skipped). Problems: a path that does not
    exist, a file of another kind, a folder without dump files."""
    files: list[DumpFile] = []
    problems: list[Problem] = []
    for given in paths:
        if not given.exists():
            problems.append(Problem(str(given), "no such file or folder"))
        elif given.is_dir():
            found = sorted(
                p
                for p in given.rglob("*")
                if p.is_file()
                and file_format(p) is not None
                and not any(part.startswith(".") for part in p.relative_to(given).parts)
            )
            if not found:
                problems.append(
                    Problem(str(given), "no .csv, .csv.gz or .parquet files in this folder")
                )
            for p in found:
                fmt = file_format(p)
                assert fmt is not None
                files.append(DumpFile(p, str(given / p.relative_to(given)), fmt))
        else:
            fmt = file_format(given)
            if fmt is None:
                problems.append(
                    Problem(str(given), "not a dump file: expected .csv, .csv.gz or .parquet")
                )
            else:
                files.append(DumpFile(given, str(given), fmt))
    seen: set[Path] = set()
    unique: list[DumpFile] = []
    for f in files:
        key = f.path.resolve()
        if key not in seen:  # a file named twice (itself and its folder) is read once
            seen.add(key)
            unique.append(f)
    return unique, problems


Batch = tuple[list[int], list[Sequence[object]]]
"""(locations, rows): the line/row of each row, and the rows."""


class DumpReader(Protocol):
    """Streams one file's rows. `columns` are the normalized names in file order."""

    file: DumpFile
    unit: Literal["line", "row"]
    columns: list[str]
    width: int | None  # every row must have this many values (CSV); None: always complete

    def timestamp_columns(self) -> dict[str, bool]:
        """Columns typed as timestamps (Parquet) -> whether they carry a time zone."""
        ...

    def positions(self, wanted: Sequence[str]) -> list[int]:
        """Where each wanted column is in the rows `batches(wanted, ...)` yields."""
        ...

    def batches(self, wanted: Sequence[str], size: int) -> Iterator[Batch]: ...


def open_reader(file: DumpFile) -> DumpReader:
    """A reader with its header read; raises `ReadError` if the file cannot be opened."""
    if file.format == "csv":
        return CsvReader(file)
    return ParquetReader(file)


class CsvReader:
    unit: Literal["line", "row"] = "line"

    def __init__(self, file: DumpFile) -> None:
        self.file = file
        with self._open() as stream:
            reader = csv.reader(stream)
            try:
                header = next(reader, None)
            except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
                raise ReadError(Problem(file.name, f"unreadable header: {exc}", line=1)) from None
        if not header or not any(h.strip() for h in header):
            raise ReadError(Problem(file.name, "empty file: no header line", line=1))
        self.columns = [normalize_column(h) for h in header]
        self.width: int | None = len(header)

    def _open(self) -> TextIO:
        # utf-8-sig drops a byte-order mark; newline="" lets csv see quoted line breaks.
        try:
            with self.file.path.open("rb") as probe:
                magic = probe.read(2)
            if magic == _GZIP_MAGIC:
                return gzip.open(self.file.path, "rt", encoding="utf-8-sig", newline="")
            return self.file.path.open("r", encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise ReadError(Problem(self.file.name, f"cannot open: {exc}")) from None

    def timestamp_columns(self) -> dict[str, bool]:
        return {}

    def positions(self, wanted: Sequence[str]) -> list[int]:
        return [self.columns.index(c) for c in wanted]

    def batches(self, wanted: Sequence[str], size: int) -> Iterator[Batch]:
        with self._open() as stream:
            reader = csv.reader(stream)
            line = 0
            try:
                next(reader)
                line = reader.line_num
                lines: list[int] = []
                rows: list[Sequence[object]] = []
                for row in reader:
                    start, line = line + 1, reader.line_num
                    if not row:  # a blank line (e.g. at the end of the file)
                        continue
                    lines.append(start)
                    rows.append(row)
                    if len(rows) >= size:
                        yield lines, rows
                        lines, rows = [], []
                if rows:
                    yield lines, rows
            except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
                raise ReadError(
                    Problem(self.file.name, f"unreadable from here on: {exc}", line=line + 1)
                ) from None


def _flat_fields(schema: pa.Schema) -> list[tuple[str, str, pa.DataType]]:
    """(flattened name, top-level column, type) of every leaf column."""
    out: list[tuple[str, str, pa.DataType]] = []

    def walk(prefix: str, top: str, field: pa.Field) -> None:
        name = f"{prefix}.{field.name}" if prefix else field.name
        if pa.types.is_struct(field.type):
            for i in range(field.type.num_fields):
                walk(name, top, field.type.field(i))
        else:
            out.append((name, top, field.type))

    for field in schema:
        walk("", field.name, field)
    return out


class ParquetReader:
    unit: Literal["line", "row"] = "row"
    width: int | None = None

    def __init__(self, file: DumpFile) -> None:
        self.file = file
        try:
            schema = pq.ParquetFile(file.path).schema_arrow
        except (pa.ArrowException, OSError) as exc:
            raise ReadError(Problem(file.name, f"not a readable Parquet file: {exc}")) from None
        self._leaves = _flat_fields(schema)
        self.columns = [normalize_column(name) for name, _, _ in self._leaves]

    def timestamp_columns(self) -> dict[str, bool]:
        return {
            normalize_column(name): t.tz is not None
            for name, _, t in self._leaves
            if pa.types.is_timestamp(t)
        }

    def positions(self, wanted: Sequence[str]) -> list[int]:
        return list(range(len(wanted)))

    def batches(self, wanted: Sequence[str], size: int) -> Iterator[Batch]:
        leaves = [self._leaves[self.columns.index(c)] for c in wanted]
        tops = list(dict.fromkeys(top for _, top, _ in leaves))
        row = 0
        try:
            parquet = pq.ParquetFile(self.file.path)
            for batch in parquet.iter_batches(batch_size=size, columns=tops):
                table = pa.Table.from_batches([batch])
                while any(pa.types.is_struct(f.type) for f in table.schema):
                    table = table.flatten()
                columns: list[list[object]] = []
                for name, _, dtype in leaves:
                    col = table.column(name)
                    if pa.types.is_timestamp(dtype) and dtype.unit == "ns":
                        # Python datetimes hold microseconds; Kalshi's times have no more.
                        # A cast that would drop nanoseconds fails instead of rounding.
                        col = col.cast(pa.timestamp("us", tz=dtype.tz))
                    columns.append(col.to_pylist())
                n = table.num_rows
                yield list(range(row + 1, row + n + 1)), list(zip(*columns, strict=True))
                row += n
        except (pa.ArrowException, OSError) as exc:
            raise ReadError(
                Problem(self.file.name, f"unreadable from here on: {exc}", line=row + 1, unit="row")
            ) from None
