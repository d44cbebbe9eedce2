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
- `drop_expired` drops only recorded days older than the hot window, and only when the file is
  still there with its recorded size and the partition still has its recorded rows; a changed
  partition is kept and archived again by the next run.
- The same works against an S3-compatible store (moto's server on 127.0.0.1) through fsspec.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import pytest_asyncio

from kalshi_core.storage.archive import (
    SNAPSHOT_COLUMNS,
    SNAPSHOT_SCHEMA,
    ArchiveStore,
    ArchiveVerificationError,
)
from kalshi_core.storage.database import Database
from kalshi_core.storage.partitions import existing_days
from kalshi_core.storage.postgres.archive import PostgresArchiveRepository
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


def failing_at(step: ArchiveStep) -> Callable[[ArchiveStep], None]:
    def steps(name: ArchiveStep) -> None:
        if name == step:
            raise RuntimeError(f"crash after {name}")

    return steps


async def test_archive_day_writes_the_partition_rows(
    archive_db: Database, store: ArchiveStore
) -> None:
    rows = await insert_day(archive_db, DAY)
    repo = PostgresArchiveRepository(archive_db, store)
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


async def test_refuses_unfinished_and_skips_missing_days(
    archive_db: Database, store: ArchiveStore
) -> None:
    repo = PostgresArchiveRepository(archive_db, store)
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

    repo = PostgresArchiveRepository(archive_db, store, steps=tamper)
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
    repo = PostgresArchiveRepository(archive_db, store)
    record = await repo.archive_day(T, DAY, today=LATER)
    assert record is not None
    TAMPERING[how](store, record.url)
    with pytest.raises(ArchiveVerificationError):
        await repo.verify_day(T, DAY)


async def _day_is_kept(db: Database, store: ArchiveStore, rows: list[tuple[Any, ...]]) -> None:
    """The invariant: the partition holds the rows, or a recorded file that verifies does."""
    repo = PostgresArchiveRepository(db, store)
    if await has_partition(db, DAY):
        assert await partition_rows(db, DAY) == rows
    else:
        await repo.verify_day(T, DAY)
        assert file_rows(store, DAY) == rows


async def nightly(repo: PostgresArchiveRepository) -> None:
    await repo.archive_day(T, DAY, today=LATER)
    await repo.drop_expired(T, hot_days=1, today=LATER)


@pytest.mark.parametrize("step", ["written", "verified", "recorded", "dropped"])
async def test_a_crash_at_any_step_keeps_the_day_and_a_rerun_completes(
    archive_db: Database, store: ArchiveStore, step: ArchiveStep
) -> None:
    rows = await insert_day(archive_db, DAY)
    crashing = PostgresArchiveRepository(archive_db, store, steps=failing_at(step))
    with pytest.raises(RuntimeError, match=f"crash after {step}"):
        await nightly(crashing)
    await _day_is_kept(archive_db, store, rows)
    if step == "written":  # a leftover temporary file, replaced by the re-run
        assert store.fs.exists(store.temp_path(T, DAY))

    repo = PostgresArchiveRepository(archive_db, store)
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
    repo = PostgresArchiveRepository(archive_db, store)
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
    repo = PostgresArchiveRepository(archive_db, store)
    record = await repo.archive_day(T, DAY, today=LATER)
    assert record is not None
    assert (
        record.url
        == "s3://kalshi-archive/archive-test/market_snapshots/day=2025-03-04/part-0.parquet"
    )
    assert file_rows(store, DAY) == rows
    await repo.verify_day(T, DAY)
    assert await repo.drop_expired(T, hot_days=1, today=LATER) == [DAY]
    assert not await has_partition(archive_db, DAY)
    await repo.verify_day(T, DAY)

    # a tampered object is refused like a local file
    _rewrite(store, store.path_of(record.url), _one_value_changed)
    with pytest.raises(ArchiveVerificationError):
        await repo.verify_day(T, DAY)
