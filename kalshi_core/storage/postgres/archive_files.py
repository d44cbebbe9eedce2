"""Parquet files of archived days, and the checksums that vouch for them: a day's partition
streamed out of PostgreSQL into its file (`write_partition`), and the partition's `RowChecksum`
(`partition_checksum`), compared with the file's by the archive job (archive.py).

`write_partition` streams the partition out with a binary `COPY (... ORDER BY market_id,
observed_at) TO STDOUT` in the same REPEATABLE READ snapshot as the partition's checksum,
decodes fixed-width rows with numpy (no per-row Python), and writes them through a
`pyarrow.parquet.ParquetWriter` in row groups: memory stays at a few row groups whatever the
size of the day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import asyncpg
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kalshi_core.logs import get_logger
from kalshi_core.storage.archive import (
    CHECKSUM_NUMERIC_SQL,
    CHECKSUM_SQL,
    COLUMN_ENCODINGS,
    SNAPSHOT_COLUMNS,
    SNAPSHOT_SCHEMA,
    ZSTD_LEVEL,
    ArchiveError,
    RowChecksum,
)

if TYPE_CHECKING:
    from kalshi_core.storage.archive import ArchiveStore

log = get_logger(__name__)

# PostgreSQL's binary COPY: signature, flags, header extension length; -1 ends the data.
_SIGNATURE: Final = b"PGCOPY\n\xff\r\n\x00"
_TRAILER: Final = b"\xff\xff"
# microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's timestamp epoch
_PG_EPOCH_US: Final = 946_684_800_000_000

_EXPECTED_TYPES: Final = {
    "observed_at": ("timestamp with time zone", ">i8", 8),
    "sequence": ("bigint", ">i8", 8),
    "market_id": ("integer", ">i4", 4),
    "source": ("smallint", ">i2", 2),
    **{c: ("integer", ">i4", 4) for c in ("yes_bid", "yes_ask", "last_price")},
    **{
        c: ("bigint", ">i8", 8)
        for c in ("yes_bid_size", "yes_ask_size", "volume", "volume_24h", "open_interest")
    },
}
_COLUMN_TYPES_SQL: Final = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
"""
# One binary COPY tuple: a field count, then (length, value) per column, big-endian. Every
# column is fixed-width and NOT NULL, so every tuple has the same size and a whole buffer of
# them is one numpy structured array.
_ROW_DTYPE: Final = np.dtype(
    [("nfields", ">i2")]
    + [
        item
        for c in SNAPSHOT_COLUMNS
        for item in ((f"{c}__len", ">i4"), (c, _EXPECTED_TYPES[c][1]))
    ]
)
_COPY_SQL: Final = (
    f"SELECT {', '.join(SNAPSHOT_COLUMNS)} FROM {{relation}} ORDER BY market_id, observed_at"
)


async def partition_checksum(conn: asyncpg.Connection, relation: str) -> RowChecksum:
    """The `RowChecksum` of `relation` (a trusted name): `CHECKSUM_SQL`, or the NUMERIC
    reference form when a value lies outside the bounds the int8 form relies on (it raises
    then: a savepoint keeps the caller's transaction usable)."""
    try:
        async with conn.transaction():
            row = await conn.fetchrow(CHECKSUM_SQL.format(relation=relation))
    except asyncpg.NumericValueOutOfRangeError:
        log.warning(
            "a value is outside the table's bounds: checksum in NUMERIC",
            extra={"relation": relation},
        )
        row = await conn.fetchrow(CHECKSUM_NUMERIC_SQL.format(relation=relation))
    assert row is not None
    return RowChecksum.from_row(tuple(row))


class _BinaryCopyWriter:
    """Receives binary COPY output in arbitrary chunks; writes whole row groups of
    `row_group_rows` rows to Parquet."""

    def __init__(self, writer: pq.ParquetWriter, where: str, row_group_rows: int) -> None:
        self._writer = writer
        self._where = where
        self._group_rows = row_group_rows
        self._buffer = bytearray()
        self._header_done = False
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self.rows = 0

    async def __call__(self, chunk: bytes) -> None:
        self._buffer += chunk
        if not self._header_done:
            if len(self._buffer) < len(_SIGNATURE) + 8:
                return
            if bytes(self._buffer[: len(_SIGNATURE)]) != _SIGNATURE:
                raise ArchiveError(f"{self._where}: not a binary COPY stream")
            ext = int.from_bytes(self._buffer[len(_SIGNATURE) + 4 : len(_SIGNATURE) + 8], "big")
            start = len(_SIGNATURE) + 8 + ext
            if len(self._buffer) < start:
                return
            del self._buffer[:start]
            self._header_done = True
        n = len(self._buffer) // _ROW_DTYPE.itemsize
        if n:
            self._add(bytes(self._buffer[: n * _ROW_DTYPE.itemsize]))
            del self._buffer[: n * _ROW_DTYPE.itemsize]
        if self._pending_rows >= self._group_rows:
            self._flush(whole_groups_only=True)

    def _add(self, data: bytes) -> None:
        rows = np.frombuffer(data, dtype=_ROW_DTYPE)
        if (rows["nfields"] != len(SNAPSHOT_COLUMNS)).any():
            raise ArchiveError(f"{self._where}: a COPY row does not have the expected columns")
        for c in SNAPSHOT_COLUMNS:
            if (rows[f"{c}__len"] != _EXPECTED_TYPES[c][2]).any():
                raise ArchiveError(
                    f"{self._where}: column {c} is NULL or not of the expected width"
                )
        arrays: list[pa.Array] = []
        for field in SNAPSHOT_SCHEMA:
            values = rows[field.name].astype(_EXPECTED_TYPES[field.name][1].replace(">", "<"))
            if field.name == "observed_at":
                values = values + _PG_EPOCH_US
            arrays.append(pa.array(values, type=field.type))
        self._pending.append(pa.RecordBatch.from_arrays(arrays, schema=SNAPSHOT_SCHEMA))
        self._pending_rows += len(rows)

    def _flush(self, *, whole_groups_only: bool = False) -> None:
        """Write the pending rows as row groups of exactly `row_group_rows` rows (the last
        group of the file may be shorter); with `whole_groups_only` a remainder stays pending,
        so that no short group is written in the middle of the file."""
        if not self._pending:
            return
        table = pa.Table.from_batches(self._pending, schema=SNAPSHOT_SCHEMA)
        size = self._group_rows
        whole = table.num_rows - table.num_rows % size
        done = whole if whole_groups_only else table.num_rows
        for offset in range(0, done, size):
            group = table.slice(offset, min(size, done - offset))
            self._writer.write_table(group, row_group_size=size)
        self.rows += done
        rest = table.slice(done)
        self._pending = rest.combine_chunks().to_batches() if rest.num_rows else []
        self._pending_rows = rest.num_rows

    def finish(self) -> None:
        if bytes(self._buffer) != _TRAILER:
            raise ArchiveError(
                f"{self._where}: the COPY stream ended with {len(self._buffer)} unread bytes"
            )
        self._flush()


_SORTING: Final = [
    pq.SortingColumn(SNAPSHOT_SCHEMA.get_field_index(c)) for c in ("market_id", "observed_at")
]


def _parquet_writer(sink: Any) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        sink,
        SNAPSHOT_SCHEMA,
        compression="zstd",
        compression_level=ZSTD_LEVEL,
        use_dictionary=[c for c, e in COLUMN_ENCODINGS.items() if e == "DICTIONARY"],
        column_encoding={c: e for c, e in COLUMN_ENCODINGS.items() if e != "DICTIONARY"},
        write_statistics=True,
        write_page_checksum=True,
        store_schema=True,
        sorting_columns=_SORTING,
    )


async def write_partition(
    conn: asyncpg.Connection, name: str, store: ArchiveStore, temp: str, *, row_group_rows: int
) -> RowChecksum:
    """Stream the partition `name` (a trusted name) to `temp` of `store` in row groups of
    `row_group_rows` rows; returns the checksum of the rows written (one snapshot: a late write
    during the run is in neither or in both)."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        types = {r[0]: r[1] for r in await conn.fetch(_COLUMN_TYPES_SQL, name)}
        wrong = {c: types.get(c) for c in SNAPSHOT_COLUMNS if types.get(c) != _EXPECTED_TYPES[c][0]}
        if wrong:
            raise ArchiveError(
                f"{name}: columns {wrong} are not the integer layout of migration 0009"
            )
        # `name` is our own partition name (partition_name), safe to splice
        source = await partition_checksum(conn, name)
        with store.fs.open(temp, "wb") as sink:
            writer = _parquet_writer(sink)
            try:
                stream = _BinaryCopyWriter(writer, name, row_group_rows)
                await conn.copy_from_query(
                    _COPY_SQL.format(relation=name), output=stream, format="binary"
                )
                stream.finish()
            finally:
                writer.close()
    if stream.rows != source.rows:
        raise ArchiveError(f"{name}: {stream.rows} rows copied, {source.rows} counted")
    return source
