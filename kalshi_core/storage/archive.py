"""The Parquet archive of finished snapshot days: file layout, format, checksum and store.

A finished UTC day of `market_snapshots` becomes one file,

    <ARCHIVE_URL>/market_snapshots/day=YYYY-MM-DD/part-0.parquet

with the table's integer layout (migration 0009) and nothing else: `observed_at` as
timestamp[us, UTC], `sequence` int64, `market_id` int32, `source` int16 (0 = rest, 1 =
websocket), prices int32 micro-dollars, counts int64 centi-contracts. Tickers are not repeated
in every row: a reader resolves `market_id` through the `markets` table, next to which the
archive is read. Rows are sorted by (market_id, observed_at) (declared in the footer's sorting
columns), zstd-compressed, in row groups of `ROW_GROUP_ROWS` rows, so one market's rows of a
day sit in one or two row groups and a reader filtering on `market_id` skips the others by
their statistics.

`RowChecksum` is what verification compares: the row count, the sum of every column and a
cross-column sum, computed by PostgreSQL over the partition (`CHECKSUM_SQL`) and by DuckDB over
the file (`FILE_CHECKSUM_SQL`), both exactly (DuckDB in HUGEINT; PostgreSQL with int8 terms
whose bounds are proven below, summed exactly, or in NUMERIC by `CHECKSUM_NUMERIC_SQL`, the
reference form it equals). It catches a missing, extra or duplicated row (count and sums), any
changed value (its column's sum moves by the change), values swapped between columns (each
column is summed apart) and rows whose values got out of step, e.g. one column shifted by a row
against the others (the cross sum multiplies the market and the time of a row with its other
values). It is not a cryptographic hash: it guards against faults, not against someone forging
a file.

`ArchiveStore` is the only place that touches the files, through fsspec, so a local folder and
an object store (s3://...) behave alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Final

import duckdb
import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

ARCHIVED_TABLES: Final = ("market_snapshots",)
"""Day-partitioned tables whose finished days are archived. The history tables
(`market_trades`, `market_candles`) are not partitioned by day and stay in PostgreSQL; `raw_pages`
is an audit buffer pruned by retention, not archived."""

FORMAT_VERSION: Final = "2"
FILE_NAME: Final = "part-0.parquet"
TEMP_SUFFIX: Final = ".tmp"
ROW_GROUP_ROWS: Final = 16_384
"""Rows per row group (every group of a file but its last has exactly this many). A market's
page of history reads the one or two groups holding its rows, whole: the group size sets the
cost of that read (roughly proportional to its rows), while bigger groups compress better (the
dictionaries of the count columns are per group). docs/ARCHIVE.md has the measurements."""
ZSTD_LEVEL: Final = 9
COLUMN_ENCODINGS: Final = {
    # times and sequences: zstd over the plain 8-byte values beats delta encoding (whose
    # blocks of 128 values take the bit width of the jump back in time at each new market)
    "observed_at": "PLAIN",
    "sequence": "PLAIN",
    "market_id": "DELTA_BINARY_PACKED",  # runs of one id: deltas of 0
    "source": "DICTIONARY",
    "yes_bid": "PLAIN",
    "yes_ask": "DICTIONARY",
    "last_price": "DICTIONARY",
    "yes_bid_size": "DELTA_BINARY_PACKED",
    "yes_ask_size": "DELTA_BINARY_PACKED",
    "volume": "PLAIN",
    "volume_24h": "PLAIN",
    "open_interest": "PLAIN",
}
"""Each column's Parquet encoding, zstd (`ZSTD_LEVEL`) on top: per column the smallest on the
benchmark's data at `ROW_GROUP_ROWS` (docs/ARCHIVE.md), among the encodings every Parquet
reader knows (no BYTE_STREAM_SPLIT for integers: Spark 3.5 and older cannot read it)."""

SNAPSHOT_COLUMNS: Final = (
    "observed_at",
    "sequence",
    "market_id",
    "source",
    "yes_bid",
    "yes_ask",
    "last_price",
    "yes_bid_size",
    "yes_ask_size",
    "volume",
    "volume_24h",
    "open_interest",
)
"""The columns of an archived snapshot day, in table (and file) order."""

SNAPSHOT_SCHEMA: Final = pa.schema(
    [
        pa.field("observed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("sequence", pa.int64(), nullable=False),
        pa.field("market_id", pa.int32(), nullable=False),
        pa.field("source", pa.int16(), nullable=False),
        *[pa.field(c, pa.int32(), nullable=False) for c in ("yes_bid", "yes_ask", "last_price")],
        *[
            pa.field(c, pa.int64(), nullable=False)
            for c in ("yes_bid_size", "yes_ask_size", "volume", "volume_24h", "open_interest")
        ],
    ],
    metadata={
        "kalshi.table": "market_snapshots",
        "kalshi.format": FORMAT_VERSION,
        "kalshi.sort": "market_id, observed_at",
        "kalshi.units": "prices (yes_bid, yes_ask, last_price) in micro-dollars (1000000 = $1); "
        "counts in centi-contracts (100 = 1 contract); source 0 = rest, 1 = websocket",
    },
)


def _mix(cast: Callable[[str], str], epoch_us: str) -> str:
    """The per-row term of the cross-column sum: the same expression in both SQL dialects,
    every column cast to an exact wide integer by `cast` first. 1000003 is a prime: the time and
    the sequence enter as residues, so a row's term stays far below the int128 range DuckDB
    sums in."""
    c = cast
    return (
        f"{c('market_id')} * ({c('yes_bid')} + 3 * {c('yes_ask')} + 5 * {c('last_price')}"
        f" + 7 * {c('source')} + 11 * ({c('sequence')} % 1000003))"
        f" + ({epoch_us} % 1000003) * ({c('yes_bid_size')} + 3 * {c('yes_ask_size')}"
        f" + 5 * {c('volume')} + 7 * {c('volume_24h')} + 11 * {c('open_interest')}"
        f" + 13 * {c('yes_bid')})"
    )


def _pg_cast(column: str) -> str:
    return f"{column}::numeric"


def _duck_cast(column: str) -> str:
    return f"CAST({column} AS HUGEINT)"


# extract() returns NUMERIC (PostgreSQL >= 14): exact microseconds
_PG_EPOCH_US: Final = "(extract(epoch FROM observed_at) * 1000000)::numeric"
_DUCK_EPOCH_US: Final = "CAST(epoch_us(observed_at) AS HUGEINT)"


def _sums(cast: Callable[[str], str], epoch_us: str) -> str:
    return ", ".join(
        f"coalesce(sum({epoch_us if c == 'observed_at' else cast(c)}), 0)" for c in SNAPSHOT_COLUMNS
    )


def _as_is(column: str) -> str:
    # PostgreSQL sums int2/int4 into int8 and int8 into NUMERIC: exact without a cast
    return column


CHECKSUM_NUMERIC_SQL: Final = (
    f"SELECT count(*), {_sums(_as_is, _PG_EPOCH_US)}, "
    f"coalesce(sum({_mix(_pg_cast, _PG_EPOCH_US)}), 0) FROM {{relation}}"
)
"""PostgreSQL: the `RowChecksum` of a relation's rows in NUMERIC arithmetic throughout (format
`{relation}` with a trusted name): the reference form of `CHECKSUM_SQL`, three to four times
slower (every row's cross term is a dozen NUMERIC operations). Used when `CHECKSUM_SQL` meets a
value outside the bounds its proof assumes (it then fails with an int8 overflow, never with a
wrong sum)."""

# The cross term of CHECKSUM_SQL in int8 (epoch_us computed once per row, as `e`): the same value
# as _mix's, by the identity v = (v >> 32) * 2^32 + (v & (2^32 - 1)) for every int8 v. Bounds
# (|int8| < 2^63), from the table's CHECKs (prices 0..1,000,000, source 0 or 1) and its types:
#   market term: |market_id| < 2^31 times |prices + 7 source + 11 (sequence % p)|
#                < 9,000,007 + 11,000,033 < 2^25                                -> < 2^56
#   low term:    |e % p| < 2^20 times (27 low halves < 27 * 2^32, + 13 yes_bid < 2^24) < 2^38
#                                                                               -> < 2^58
#   high term:   |e % p| < 2^20 times 27 high halves of |v| <= 2^31 < 2^36      -> < 2^56
# sum(int8) accumulates exactly (int128, returned as NUMERIC), and the three sums are combined in
# NUMERIC. A row outside these bounds makes PostgreSQL raise an int8/int4 overflow error (it checks
# every operation), so the result is exact or an error, never a wrong checksum.
_P: Final = 1_000_003
_COUNT_COLUMNS: Final = ("yes_bid_size", "yes_ask_size", "volume", "volume_24h", "open_interest")
_COUNT_WEIGHTS: Final = (1, 3, 5, 7, 11)


def _halves(part: Callable[[str], str]) -> str:
    return " + ".join(
        f"{w} * {part(c)}" if w != 1 else part(c)
        for w, c in zip(_COUNT_WEIGHTS, _COUNT_COLUMNS, strict=True)
    )


_PG_FAST_CROSS: Final = (
    "coalesce(sum(market_id::int8 * (yes_bid + 3 * yes_ask + 5 * last_price + 7 * source"
    f" + 11 * (sequence % {_P}))), 0)"
    f" + coalesce(sum((e % {_P}) * ({_halves(lambda c: f'({c} & 4294967295)')}"
    " + 13 * yes_bid)), 0)"
    f" + 4294967296 * coalesce(sum((e % {_P}) * ({_halves(lambda c: f'({c} >> 32)')})), 0)"
)
_PG_FAST_SUMS: Final = ", ".join(
    f"coalesce(sum({'e' if c == 'observed_at' else c}), 0)" for c in SNAPSHOT_COLUMNS
)

CHECKSUM_SQL: Final = (
    f"SELECT count(*), {_PG_FAST_SUMS}, {_PG_FAST_CROSS} "
    # OFFSET 0 keeps the subquery: epoch_us (a NUMERIC computation) is made once per row
    "FROM (SELECT *, (extract(epoch FROM observed_at) * 1000000)::int8 AS e "
    "FROM {relation} OFFSET 0) r"
)
"""PostgreSQL: the `RowChecksum` of a relation's rows (format `{relation}` with a trusted name),
equal to `CHECKSUM_NUMERIC_SQL`'s by construction but in int8 arithmetic with exact sums (the
bounds are in the comment above). The sums come back as NUMERIC (asyncpg: Decimal), exact."""

FILE_CHECKSUM_SQL: Final = (
    f"SELECT count(*), {_sums(_duck_cast, _DUCK_EPOCH_US)}, "
    f"coalesce(sum({_mix(_duck_cast, _DUCK_EPOCH_US)}), 0) "
    "FROM read_parquet(?, hive_partitioning = false)"
)
"""DuckDB: the `RowChecksum` of a Parquet file (bind its path)."""


class ArchiveError(RuntimeError):
    """An archive operation could not be completed; nothing was dropped."""


class ArchiveVerificationError(ArchiveError):
    """A file does not hold the rows it should (its partition, or its recorded checksum)."""


@dataclass(frozen=True, slots=True)
class RowChecksum:
    """Row count, per-column sums and the cross-column sum of a day's rows (exact integers)."""

    rows: int
    sums: tuple[int, ...]  # in SNAPSHOT_COLUMNS order; observed_at as epoch microseconds
    cross: int

    @classmethod
    def from_row(cls, row: tuple[Any, ...] | list[Any]) -> RowChecksum:
        values = [int(v) for v in row]
        return cls(rows=values[0], sums=tuple(values[1:-1]), cross=values[-1])

    @property
    def digest(self) -> str:
        """The text recorded in `archived_days.checksum`: `v1:` + SHA-256 of the figures."""
        text = ",".join(str(v) for v in (self.rows, *self.sums, self.cross))
        return "v1:" + hashlib.sha256(text.encode()).hexdigest()

    def differences(self, other: RowChecksum) -> list[str]:
        """What differs from `other`, named (empty when equal)."""
        out: list[str] = []
        if self.rows != other.rows:
            out.append(f"rows {self.rows} != {other.rows}")
        for name, a, b in zip(SNAPSHOT_COLUMNS, self.sums, other.sums, strict=True):
            if a != b:
                out.append(f"sum({name}) {a} != {b}")
        if self.cross != other.cross:
            out.append("cross-column sum differs")
        return out

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ArchiveStore:
    """The archive's files at `url` (a folder or an fsspec URL), through one fsspec filesystem.

    Paths given to and returned by the methods are the filesystem's own (no protocol);
    `url_of` turns one into the URL recorded in `archived_days`.
    """

    def __init__(self, url: str, storage_options: Mapping[str, Any] | None = None) -> None:
        self.url = url
        self.storage_options = dict(storage_options or {})
        fs, root = fsspec.core.url_to_fs(url, **self.storage_options)
        self.fs: fsspec.AbstractFileSystem = fs
        self.root = str(root).rstrip("/")
        protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
        self.protocol: str = protocols[0]
        self.is_local = self.protocol in ("file", "local")

    def day_dir(self, table: str, day: date) -> str:
        if table not in ARCHIVED_TABLES:
            raise ValueError(f"{table!r} is not archived ({ARCHIVED_TABLES})")
        return f"{self.root}/{table}/day={day:%Y-%m-%d}"

    def day_path(self, table: str, day: date) -> str:
        """Where the day's file lives once verified."""
        return f"{self.day_dir(table, day)}/{FILE_NAME}"

    def temp_path(self, table: str, day: date) -> str:
        """Where the day's file is written before verification (replaced by every attempt)."""
        return self.day_path(table, day) + TEMP_SUFFIX

    def url_of(self, path: str) -> str:
        """The URL of a path, as recorded (a local path stays a plain absolute path)."""
        return path if self.is_local else f"{self.protocol}://{path}"

    def path_of(self, url: str) -> str:
        """The filesystem path of a recorded URL of this store."""
        if self.is_local:
            return url.removeprefix("file://")
        prefix = f"{self.protocol}://"
        if not url.startswith(prefix):
            raise ArchiveError(f"{url} is not in the archive at {self.url}")
        return url[len(prefix) :]

    def size(self, path: str) -> int | None:
        """The file's size in bytes, None if it does not exist."""
        try:
            info = self.fs.info(path)
        except FileNotFoundError:
            return None
        if info.get("type") not in (None, "file"):
            return None
        return int(info["size"])

    def remove(self, path: str) -> None:
        if self.fs.exists(path):
            self.fs.rm(path)

    def move(self, src: str, dst: str) -> None:
        """Put `src` in the place of `dst` (replacing it)."""
        self.remove(dst)
        self.fs.mv(src, dst)

    def makedirs(self, path: str) -> None:
        if self.is_local:
            self.fs.makedirs(path, exist_ok=True)

    def duckdb_path(self, path: str) -> str:
        """The name DuckDB opens the file by (after `register(conn)` for a remote store)."""
        return path if self.is_local else self.url_of(path)

    def register(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Let DuckDB read this store's files through its fsspec filesystem (no-op when local:
        DuckDB reads local files itself, faster)."""
        if not self.is_local and not conn.filesystem_is_registered(self.protocol):
            conn.register_filesystem(self.fs)

    def file_checksum(
        self, path: str, conn: duckdb.DuckDBPyConnection | None = None
    ) -> RowChecksum:
        """The `RowChecksum` of a file, re-read from the store."""
        own = conn is None
        duck = duckdb.connect() if conn is None else conn
        try:
            self.register(duck)
            row = duck.execute(FILE_CHECKSUM_SQL, [self.duckdb_path(path)]).fetchone()
        except duckdb.Error as exc:
            raise ArchiveVerificationError(f"{self.url_of(path)} cannot be read: {exc}") from exc
        finally:
            if own:
                duck.close()
        if row is None:  # pragma: no cover - an aggregate always returns a row
            raise ArchiveVerificationError(f"{self.url_of(path)}: no checksum row")
        return RowChecksum.from_row(row)

    def file_schema(self, path: str) -> pa.Schema:
        with self.fs.open(path, "rb") as f:
            return pq.read_schema(f)
