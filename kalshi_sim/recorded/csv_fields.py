"""Reading recorded CSV files: records with where they came from, and exact typed fields.

Every bad value raises `RecordedDataError` naming the file, line and column.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final, TextIO

from kalshi_sim.recorded.data import US, RecordedDataError


def find_file(root: Path, name: str) -> Path | None:
    """`name.csv` or `name.csv.gz` in root (the shared folder gzips the big files)."""
    for candidate in (root / f"{name}.csv", root / f"{name}.csv.gz"):
        if candidate.is_file():
            return candidate
    return None


def open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One CSV record with where it came from, for error messages."""

    path: Path
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    def error(self, column: str | None, message: str) -> RecordedDataError:
        return RecordedDataError(self.path, message, line=self.line, column=column)


def csv_rows(path: Path, required: Sequence[str]) -> Iterator[CsvRow]:
    """The records of a CSV file; a missing column or a short record is an error."""
    with open_text(path) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise RecordedDataError(path, "empty file (no header)", line=1) from None
        except (csv.Error, UnicodeDecodeError, OSError) as exc:
            raise RecordedDataError(path, f"unreadable header: {exc}", line=1) from None
        header = [h.strip() for h in header]
        missing = [c for c in required if c not in header]
        if missing:
            raise RecordedDataError(
                path,
                f"missing column{'s' if len(missing) > 1 else ''} "
                + ", ".join(repr(c) for c in missing)
                + f" (header: {', '.join(header)})",
                line=1,
                column=missing[0],
            )
        while True:
            try:
                rec = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError, OSError) as exc:
                raise RecordedDataError(
                    path, f"unreadable record: {exc}", line=reader.line_num
                ) from None
            if not rec:
                continue
            if len(rec) != len(header):
                raise RecordedDataError(
                    path,
                    f"{len(rec)} fields where the header has {len(header)}",
                    line=reader.line_num,
                    column=header[min(len(rec), len(header) - 1)],
                )
            yield CsvRow(path, reader.line_num, dict(zip(header, rec, strict=True)))


def _decimal(row: CsvRow, column: str) -> Decimal:
    text = row.get(column)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise row.error(column, f"not a number: {text!r}") from None
    if not value.is_finite():
        raise row.error(column, f"not a finite number: {text!r}")
    return value


def _units(row: CsvRow, column: str, scale: int, what: str) -> int:
    """An exact decimal times `scale` as an integer (refuses finer values than the unit)."""
    scaled = _decimal(row, column) * scale
    if scaled != scaled.to_integral_value():
        raise row.error(column, f"{row.get(column)!r} is finer than {what}")
    return int(scaled)


def price_field(row: CsvRow, column: str, *, cents: bool) -> int:
    """A price in $0.0001 units from dollars ("0.99") or cents ("99", "72.0")."""
    bp = _units(row, column, 100 if cents else 10_000, "$0.0001")
    if not 0 <= bp <= 10_000:
        unit = "cents" if cents else "dollars"
        raise row.error(column, f"price {row.get(column)!r} ({unit}) is outside [0, 1] dollars")
    return bp


def count_field(row: CsvRow, column: str) -> int:
    """Contracts in hundredths (Kalshi counts are `*_fp` strings with two decimals)."""
    n = _units(row, column, 100, "0.01 contract")
    if n < 0:
        raise row.error(column, f"negative count {row.get(column)!r}")
    return n


def time_field(row: CsvRow, column: str) -> int:
    text = row.get(column)
    try:
        d = datetime.fromisoformat(text)
    except ValueError:
        raise row.error(column, f"not an ISO-8601 time: {text!r}") from None
    if d.tzinfo is None or d.utcoffset() is None:
        raise row.error(column, f"time without a timezone: {text!r}")
    return _us(d)


def _us(d: datetime) -> int:
    delta = d - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def unix_field(row: CsvRow, column: str) -> int:
    text = row.get(column)
    try:
        return int(text)
    except ValueError:
        raise row.error(column, f"not a unix time in seconds: {text!r}") from None
