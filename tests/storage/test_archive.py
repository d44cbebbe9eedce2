"""Contract: the Parquet archive of finished snapshot days (`PostgresArchiveRepository`).

- `archive_day` writes a finished day's partition to `<archive>/market_snapshots/day=D/
  part-0.parquet` with the integer layout, sorted by (market_id, observed_at), holding exactly
  the partition's rows; it records the file in `archived_days`; an archived day is skipped on a
  re-run; today's (unfinished) day is refused; a day without a partition is a no-op.
- Verification refuses a file that does not hold the partition's rows (truncated, corrupt
  bytes, one changed value, a missing row, values swapped between rows): it raises, nothing is
  recorded, no file is left in place, and the partition stays. `verify_day` catches a recorded
  file changed afterwards.
- A crash after any step (temporary file written, file verified and moved, day recorded) leaves
  the partition or a verified file, never neither, and a re-run completes the day.
- `drop_expired` retires only recorded days older than the hot window (readers take them from
  their files) and drops a partition only once its day has been retired for the drop grace
  (waiting for it up to the run's wait, else leaving it to the next run), and only when the file
  is still there with its recorded size and the partition still has its recorded rows; a changed
  partition, or a retired day whose file went missing, goes back to PostgreSQL (not retired, not
  verified) and is archived again by the next run.
- PostgreSQL's int8 checksum equals its NUMERIC reference form and DuckDB's over a file, at the
  bounds of every column; a value outside the table's CHECKs makes the int8 form fail (never sum
  wrongly) and the NUMERIC form is used instead.
- The same works against an S3-compatible store (moto's server on 127.0.0.1) through fsspec.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import pytest_asyncio

from kalshi_core.settings import ARCHIVE_DROP_MARGIN_S, Settings
from kalshi_core.storage.archive import (
    CHECKSUM_NUMERIC_SQL,
    CHECKSUM_SQL,
    COLUMN_ENCODINGS,
    SNAPSHOT_COLUMNS,
    SNAPSHOT_SCHEMA,
    ArchiveStore,
    ArchiveVerificationError,
    RowChecksum,
)
from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.partitions import existing_days
from kalshi_core.storage.postgres.archive import PostgresArchiveRepository
from kalshi_core.storage.postgres.archive_files import partition_checksum
from kalshi_core.storage.postgres.archive_reads import archive_reader
from kalshi_core.storage.repositories import ArchiveStep
from tests.archive_data import insert_day

DAY = date(2025, 3, 4)
LATER = DAY + timedelta(days=30)  # "today" for the tests: DAY is long finished and expired
T = "market_snapshots"


async def partition_rows(db: Database, day: date) -> list[tuple[Any, ...]]:
    async with db.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {', '.join(SNAPSHOT_COLUMNS)} FROM market_snapshots "
            "WHERE observed_at >= $1 AND observed_at < $2 ORDER BY market_id, observed_at",
            datetime(day.year, day.month, day.day, tzinfo=UTC),
            datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1),
        )
    return [tuple(r) for r in rows]


def file_rows(store: ArchiveStore, day: date) -> list[tuple[Any, ...]]:
    with store.fs.open(store.day_path(T, day), "rb") as f:
        table = pq.read_table(f)
    assert table.schema.equals(SNAPSHOT_SCHEMA)
    return list(zip(*(table.column(c).to_pylist() for c in SNAPSHOT_COLUMNS), strict=True))


async def has_partition(db: Database, day: date) -> bool:
    async with db.acquire() as conn:
        return day in await existing_days(conn, T)


@pytest.fixture
def store(tmp_path: Path) -> ArchiveStore:
    return ArchiveStore(str(tmp_path / "archive"))


@pytest_asyncio.fixture(loop_scope="session")
async def archive_db(clean_db: Database) -> AsyncIterator[Database]:
    """The clean database; afterwards the archive catalogue is emptied so no other test reads
    a day from this test's (temporary) files."""
    yield clean_db
    async with clean_db.acquire() as conn:
        await conn.execute("DELETE FROM archived_days")
    archive_reader(clean_db).forget()


def archive_repo(db: Database, store: ArchiveStore, **kw: Any) -> PostgresArchiveRepository:
    """The repository with no drop grace by default: these tests read from one process only,
    which learns of its own retirements at once (the grace is for other processes)."""
    kw.setdefault("drop_grace_s", 0.0)
    return PostgresArchiveRepository(db, store, **kw)


def failing_at(step: ArchiveStep) -> Callable[[ArchiveStep], None]:
    def steps(name: ArchiveStep) -> None:
        if name == step:
            raise RuntimeError(f"crash after {name}")

    return steps


async def test_archive_day_writes_the_partition_rows(
    archive_db: Database, store: ArchiveStore
) -> None:
    rows = await insert_day(archive_db, DAY)
    repo = archive_repo(archive_db, store)
    record = await repo.archive_day(T, DAY, today=LATER)
    assert record is not None
    assert record.url == store.day_path(T, DAY)
    assert record.url.endswith("/market_snapshots/day=2025-03-04/part-0.parquet")
    assert record.rows == len(rows) == 160
    assert record.bytes == store.size(store.day_path(T, DAY))
    assert record.verified_at is not None
    assert record.dropped_at is None
    assert file_rows(store, DAY) == rows == await partition_rows(archive_db, DAY)
    assert not store.fs.exists(store.temp_path(T, DAY))
    with store.fs.open(record.url, "rb") as f:
        meta = pq.ParquetFile(f).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"

    again = await repo.archive_day(T, DAY, today=LATER)
    assert again == record  # verified and in place: skipped
    assert await repo.verify_day(T, DAY) == record
    assert await repo.days(T) == [record]


async def test_row_groups_encodings_and_sort_order_of_a_file(
    archive_db: Database, store: ArchiveStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row group but the last has exactly ROW_GROUP_ROWS rows (also when the COPY stream
    arrives in pieces that are not multiples of it), each column has its declared encoding,
    and the footer declares the sort order."""
    monkeypatch.setattr("kalshi_core.storage.postgres.archive.ROW_GROUP_ROWS", 64)
    rows = await insert_day(archive_db, DAY, markets=5, rows_per_market=41)  # 205 rows
    record = await archive_repo(archive_db, store).archive_day(T, DAY, today=LATER)
    assert record is not None
    assert file_rows(store, DAY) == rows
    with store.fs.open(record.url, "rb") as f:
        meta = pq.ParquetFile(f).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [64, 64, 64, 13]
    group = meta.row_group(0)
    for i, column in enumerate(SNAPSHOT_COLUMNS):
        chunk = group.column(i)
        assert chunk.path_in_schema == column
        assert chunk.compression == "ZSTD"
        wanted = COLUMN_ENCODINGS[column]
        assert ("RLE_DICTIONARY" if wanted == "DICTIONARY" else wanted) in chunk.encodings, column
        assert chunk.statistics is not None
        assert chunk.statistics.has_min_max
    sort = [(c.column_index, c.descending) for c in group.sorting_columns]
    assert sort == [(SNAPSHOT_COLUMNS.index("market_id"), False), (0, False)]


async def test_refuses_unfinished_and_skips_missing_days(
    archive_db: Database, store: ArchiveStore
) -> None:
    repo = archive_repo(archive_db, store)
    with pytest.raises(ValueError, match="not finished"):
        await repo.archive_day(T, LATER, today=LATER)
    with pytest.raises(ValueError, match="not archived"):
        await repo.archive_day("raw_pages", DAY, today=LATER)
    assert await repo.archive_day(T, date(2024, 2, 3), today=LATER) is None
    assert await repo.days(T) == []


def _rewrite(store: ArchiveStore, path: str, change: Callable[[pa.Table], pa.Table]) -> None:
    with store.fs.open(path, "rb") as f:
        table = pq.read_table(f)
    with store.fs.open(path, "wb") as f:
        pq.write_table(change(table), f, compression="zstd")


def _set(table: pa.Table, column: str, values: list[Any]) -> pa.Table:
    i = table.schema.get_field_index(column)
    return table.set_column(i, table.schema.field(i), pa.array(values, table.schema.field(i).type))


def _one_value_changed(table: pa.Table) -> pa.Table:
    bids = table.column("yes_bid").to_pylist()
    bids[17] = bids[17] + 1 if bids[17] < 1_000_000 else bids[17] - 1
    return _set(table, "yes_bid", bids)


def _swapped_between_rows(table: pa.Table) -> pa.Table:
    # same market, same column: every per-column sum is unchanged; only the cross sum sees it
    bids = table.column("yes_bid").to_pylist()
    assert bids[3] != bids[4]
    bids[3], bids[4] = bids[4], bids[3]
    return _set(table, "yes_bid", bids)


def _truncate(store: ArchiveStore, path: str) -> None:
    data = store.fs.cat_file(path)
    store.fs.pipe_file(path, data[: len(data) // 2])


def _corrupt(store: ArchiveStore, path: str) -> None:
    data = bytearray(store.fs.cat_file(path))
    for i in range(len(data) // 3, len(data) // 3 + 64):
        data[i] ^= 0x5A
    store.fs.pipe_file(path, bytes(data))


TAMPERING: dict[str, Callable[[ArchiveStore, str], None]] = {
    "truncated": _truncate,
    "corrupt bytes": _corrupt,
    "one changed value": lambda s, p: _rewrite(s, p, _one_value_changed),
    "a missing row": lambda s, p: _rewrite(s, p, lambda t: t.slice(0, t.num_rows - 1)),
    "values swapped between rows": lambda s, p: _rewrite(s, p, _swapped_between_rows),
}


@pytest.mark.parametrize("how", list(TAMPERING))
async def test_verification_refuses_a_mismatching_file_and_keeps_the_partition(
    archive_db: Database, store: ArchiveStore, how: str
) -> None:
    rows = await insert_day(archive_db, DAY)

    def tamper(step: ArchiveStep) -> None:
        if step == "written":
            TAMPERING[how](store, store.temp_path(T, DAY))

    repo = archive_repo(archive_db, store, steps=tamper)
    with pytest.raises(ArchiveVerificationError):
        await repo.archive_day(T, DAY, today=LATER)
    assert await repo.get(T, DAY) is None
    assert not store.fs.exists(store.day_path(T, DAY))
    assert not store.fs.exists(store.temp_path(T, DAY))
    assert await repo.drop_expired(T, hot_days=1, today=LATER) == []
    assert await partition_rows(archive_db, DAY) == rows


@pytest.mark.parametrize("how", ["one changed value", "values swapped between rows", "truncated"])
async def test_verify_day_catches_a_file_changed_after_recording(
    archive_db: Database, store: ArchiveStore, how: str
) -> None:
    await insert_day(archive_db, DAY)
    repo = archive_repo(archive_db, store)
    record = await repo.archive_day(T, DAY, today=LATER)
    assert record is not None
    TAMPERING[how](store, record.url)
    with pytest.raises(ArchiveVerificationError):
        await repo.verify_day(T, DAY)


async def _day_is_kept(db: Database, store: ArchiveStore, rows: list[tuple[Any, ...]]) -> None:
    """The invariant: the partition holds the rows, or a recorded file that verifies does."""
    repo = archive_repo(db, store)
    if await has_partition(db, DAY):
        assert await partition_rows(db, DAY) == rows
    else:
        await repo.verify_day(T, DAY)
        assert file_rows(store, DAY) == rows


async def nightly(repo: PostgresArchiveRepository) -> None:
    await repo.archive_day(T, DAY, today=LATER)
    await repo.drop_expired(T, hot_days=1, today=LATER)


@pytest.mark.parametrize("step", ["written", "verified", "recorded", "retired", "dropped"])
async def test_a_crash_at_any_step_keeps_the_day_and_a_rerun_completes(
    archive_db: Database, store: ArchiveStore, step: ArchiveStep
) -> None:
    rows = await insert_day(archive_db, DAY)
    crashing = archive_repo(archive_db, store, steps=failing_at(step))
    with pytest.raises(RuntimeError, match=f"crash after {step}"):
        await nightly(crashing)
    await _day_is_kept(archive_db, store, rows)
    if step == "written":  # a leftover temporary file, replaced by the re-run
        assert store.fs.exists(store.temp_path(T, DAY))

    repo = archive_repo(archive_db, store)
    record = await repo.archive_day(T, DAY, today=LATER)
    assert record is not None
    await repo.drop_expired(T, hot_days=1, today=LATER)
    assert not await has_partition(archive_db, DAY)
    final = await repo.get(T, DAY)
    assert final is not None
    assert final.dropped_at is not None
    assert not store.fs.exists(store.temp_path(T, DAY))
    await _day_is_kept(archive_db, store, rows)
    # archiving a dropped day again is a no-op
    assert await repo.archive_day(T, DAY, today=LATER) == final


async def test_drop_keeps_hot_days_and_rechecks_file_and_rows(
    archive_db: Database, store: ArchiveStore
) -> None:
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    kept = {d: await insert_day(archive_db, d, seed=i) for i, d in enumerate(days)}
    repo = archive_repo(archive_db, store)
    for d in days:
        assert await repo.archive_day(T, d, today=LATER) is not None
    today = days[-1] + timedelta(days=2)

    # the newest day is within the two hot days; the second's file went missing; the first's
    # partition received a late row after it was archived
    store.fs.rm(store.day_path(T, days[1]))
    async with archive_db.acquire() as conn:
        await conn.execute(
            "INSERT INTO market_snapshots SELECT observed_at + interval '1 microsecond', "
            "sequence, market_id, source, yes_bid, yes_ask, last_price, yes_bid_size, "
            "yes_ask_size, volume, volume_24h, open_interest FROM market_snapshots "
            "WHERE observed_at >= $1 AND observed_at < $2 ORDER BY observed_at DESC LIMIT 1",
            datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC),
            datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC) + timedelta(days=1),
        )
    assert await repo.drop_expired(T, hot_days=2, today=today) == []
    for d in days:
        assert await has_partition(archive_db, d)
    first = await repo.get(T, DAY)
    assert first is not None
    assert first.verified_at is None  # to be archived again
    assert await partition_rows(archive_db, days[1]) == kept[days[1]]

    # the next run writes both again; then both expired days go, the hot one stays
    for d in days[:2]:
        assert await repo.archive_day(T, d, today=LATER) is not None
    assert await repo.drop_expired(T, hot_days=2, today=today) == days[:2]
    assert [await has_partition(archive_db, d) for d in days] == [False, False, True]
    assert len(file_rows(store, DAY)) == len(kept[DAY]) + 1
    assert file_rows(store, days[1]) == kept[days[1]]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    moto_server = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("s3fs")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        ).create_bucket(Bucket="kalshi-archive")
        yield endpoint
    finally:
        server.stop()


def s3_store(endpoint: str, prefix: str) -> ArchiveStore:
    return ArchiveStore(
        f"s3://kalshi-archive/{prefix}",
        {
            "key": "test",
            "secret": "test",
            "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
        },
    )


async def test_s3_store_through_fsspec(archive_db: Database, s3_endpoint: str) -> None:
    store = s3_store(s3_endpoint, "archive-test")
    rows = await insert_day(archive_db, DAY)
    repos = repositories(archive_db)
    ticker = f"KXARC-{DAY:%y%m%d}-M1"
    hot_history = await repos.markets.get_history(ticker, 25)
    hot_frame = await repos.markets.snapshot_frame(None)
    repo = archive_repo(archive_db, store)
    record = await repo.archive_day(T, DAY, today=LATER)
    assert record is not None
    assert (
        record.url
        == "s3://kalshi-archive/archive-test/market_snapshots/day=2025-03-04/part-0.parquet"
    )
    assert file_rows(store, DAY) == rows
    await repo.verify_day(T, DAY)
    reader = archive_reader(archive_db)
    previous = reader.store
    reader.use_store(store)
    try:
        assert await repo.drop_expired(T, hot_days=1, today=LATER) == [DAY]
        assert not await has_partition(archive_db, DAY)
        await repo.verify_day(T, DAY)
        # read back from the object store: pyarrow for a page of history, DuckDB for frames
        assert await repos.markets.get_history(ticker, 25) == hot_history
        frame = await repos.markets.snapshot_frame(None)
        pd.testing.assert_frame_equal(frame, hot_frame, check_exact=True)
        assert reader.footers_read > 0
    finally:
        reader.use_store(previous)

    # a tampered object is refused like a local file
    _rewrite(store, store.path_of(record.url), _one_value_changed)
    with pytest.raises(ArchiveVerificationError):
        await repo.verify_day(T, DAY)


async def test_a_retired_day_that_changed_or_lost_its_file_goes_back_to_postgresql(
    archive_db: Database, store: ArchiveStore
) -> None:
    days = [DAY, DAY + timedelta(days=1)]
    kept = {d: await insert_day(archive_db, d, seed=i) for i, d in enumerate(days)}
    # retired: readers take both days from their files; the grace keeps the partitions
    waiting = archive_repo(archive_db, store, drop_grace_s=3600.0, drop_wait_s=0.0)
    for d in days:
        assert await waiting.archive_day(T, d, today=LATER) is not None
    assert await waiting.drop_expired(T, hot_days=1, today=LATER) == []
    for d in days:
        record = await waiting.get(T, d)
        assert record is not None
        assert record.retired_at is not None
        assert record.dropped_at is None
        assert await has_partition(archive_db, d)
    assert set((await archive_reader(archive_db).served()).retiring) == set(days)

    # a late row reaches the first day's partition; the second day's file goes missing
    day0 = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    async with archive_db.acquire() as conn:
        await conn.execute(
            "INSERT INTO market_snapshots SELECT observed_at + interval '1 microsecond', "
            "sequence, market_id, source, yes_bid, yes_ask, last_price, yes_bid_size, "
            "yes_ask_size, volume, volume_24h, open_interest FROM market_snapshots "
            "WHERE observed_at >= $1 AND observed_at < $2 ORDER BY observed_at DESC LIMIT 1",
            day0,
            day0 + timedelta(days=1),
        )
    store.fs.rm(store.day_path(T, days[1]))
    # the grace is over: neither is dropped, both are read from PostgreSQL again
    repo = archive_repo(archive_db, store)
    assert await repo.drop_expired(T, hot_days=1, today=LATER) == []
    for d in days:
        assert await has_partition(archive_db, d)
        record = await repo.get(T, d)
        assert record is not None
        assert (record.verified_at, record.retired_at) == (None, None)
    assert not (await archive_reader(archive_db).served()).files
    assert len(await partition_rows(archive_db, DAY)) == len(kept[DAY]) + 1
    assert await partition_rows(archive_db, days[1]) == kept[days[1]]

    # the next run archives both again, then drops them
    for d in days:
        assert await repo.archive_day(T, d, today=LATER) is not None
    assert await repo.drop_expired(T, hot_days=1, today=LATER) == days
    assert len(file_rows(store, DAY)) == len(kept[DAY]) + 1
    assert file_rows(store, days[1]) == kept[days[1]]


async def test_a_run_leaves_a_drop_whose_grace_ends_after_its_wait_to_the_next_run(
    archive_db: Database, store: ArchiveStore
) -> None:
    await insert_day(archive_db, DAY)
    repo = archive_repo(archive_db, store, drop_grace_s=0.6, drop_wait_s=0.2)
    assert await repo.archive_day(T, DAY, today=LATER) is not None
    assert await repo.drop_expired(T, hot_days=1, today=LATER) == []  # waited 0.2 s at most
    assert await has_partition(archive_db, DAY)
    repo.drop_wait_s = 5.0
    assert await repo.drop_expired(T, hot_days=1, today=LATER) == [DAY]
    record = await repo.get(T, DAY)
    assert record is not None
    assert record.retired_at is not None
    assert record.dropped_at is not None
    assert (record.dropped_at - record.retired_at).total_seconds() >= 0.6


_BIG = 2**63 - 1
# Rows at the edges of the table's types and CHECKs: counts of 0, 2^32 - 1, 2^32 and 2^63 - 1,
# sequences of both signs, the largest market id, prices of 0 and $1, times before 1970 (whose
# epoch microseconds are negative) and far ahead.
EXTREME_ROWS: list[tuple[Any, ...]] = [
    (
        datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),  # (datetime.min is sent as -infinity)
        -(2**63),
        2**31 - 1,
        1,
        1_000_000,
        1_000_000,
        1_000_000,
        _BIG,
        _BIG,
        _BIG,
        _BIG,
        _BIG,
    ),
    (
        datetime(9999, 12, 31, 23, 59, 59, 999_998, tzinfo=UTC),
        _BIG,
        2**31 - 1,
        0,
        0,
        1_000_000,
        999_999,
        2**32,
        2**32 - 1,
        _BIG - 1,
        0,
        2**40 + 12_345,
    ),
    (datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC), -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    (datetime(2026, 11, 26, 13, 0, 0, 123_456, tzinfo=UTC), 17, 4711, 1, 1, 2, 3, 4, 5, 6, 7, 8),
]


def _file_of(store: ArchiveStore, rows: list[tuple[Any, ...]], name: str) -> RowChecksum:
    columns = list(zip(*rows, strict=True))
    table = pa.Table.from_arrays(
        [pa.array(list(v), type=f.type) for v, f in zip(columns, SNAPSHOT_SCHEMA, strict=True)],
        schema=SNAPSHOT_SCHEMA,
    )
    path = f"{store.root}/{name}.parquet"
    store.makedirs(store.root)
    with store.fs.open(path, "wb") as f:
        pq.write_table(table, f)
    return store.file_checksum(path)


async def test_the_int8_checksum_equals_the_numeric_one_and_duckdbs(
    archive_db: Database, store: ArchiveStore
) -> None:
    async with archive_db.acquire() as conn:
        # the table's columns and CHECKs, without its partitions
        await conn.execute(
            "CREATE TEMP TABLE extremes (LIKE market_snapshots INCLUDING CONSTRAINTS)"
        )
        await conn.copy_records_to_table(
            "extremes", records=EXTREME_ROWS, columns=list(SNAPSHOT_COLUMNS)
        )
        fast = RowChecksum.from_row(
            tuple(await conn.fetchrow(CHECKSUM_SQL.format(relation="extremes")))
        )
        numeric = RowChecksum.from_row(
            tuple(await conn.fetchrow(CHECKSUM_NUMERIC_SQL.format(relation="extremes")))
        )
        assert await partition_checksum(conn, "extremes") == fast
        empty = await partition_checksum(conn, "(SELECT * FROM extremes WHERE false) x")
        await conn.execute("DROP TABLE extremes")
    assert fast == numeric == _file_of(store, EXTREME_ROWS, "extremes")
    assert fast.rows == len(EXTREME_ROWS)
    assert fast.cross != 0
    assert empty == RowChecksum(0, (0,) * len(SNAPSHOT_COLUMNS), 0)


async def test_a_value_outside_the_bounds_is_checksummed_in_numeric(
    archive_db: Database, store: ArchiveStore
) -> None:
    # no CHECKs: a price no snapshot may hold overflows the int8 form, which must say so (never
    # sum wrongly); partition_checksum then gives the NUMERIC form's exact figures
    wild = [(*EXTREME_ROWS[3][:4], 2**31 - 1, *EXTREME_ROWS[3][5:]), EXTREME_ROWS[0]]
    async with archive_db.acquire() as conn:
        await conn.execute("CREATE TEMP TABLE wild (LIKE market_snapshots)")
        await conn.copy_records_to_table("wild", records=wild, columns=list(SNAPSHOT_COLUMNS))
        with pytest.raises(asyncpg.NumericValueOutOfRangeError):
            await conn.fetchrow(CHECKSUM_SQL.format(relation="wild"))
        found = await partition_checksum(conn, "wild")
        numeric = RowChecksum.from_row(
            tuple(await conn.fetchrow(CHECKSUM_NUMERIC_SQL.format(relation="wild")))
        )
        await conn.execute("DROP TABLE wild")
    assert found == numeric == _file_of(store, wild, "wild")


def test_the_drop_grace_must_outlast_every_readers_list() -> None:
    with pytest.raises(ValueError, match="ARCHIVE_DROP_GRACE_S"):
        Settings(archive_catalogue_ttl_s=30, archive_drop_grace_s=35)
    fine = Settings(archive_catalogue_ttl_s=30, archive_drop_grace_s=40)
    assert fine.archive_drop_grace_s - fine.archive_catalogue_ttl_s >= ARCHIVE_DROP_MARGIN_S


async def test_a_negative_grace_or_wait_is_refused(archive_db: Database) -> None:
    with pytest.raises(ValueError, match="drop_grace_s and drop_wait_s must be >= 0"):
        PostgresArchiveRepository(archive_db, drop_grace_s=-1.0)
    with pytest.raises(ValueError, match="drop_grace_s and drop_wait_s must be >= 0"):
        PostgresArchiveRepository(archive_db, drop_wait_s=-0.5)
