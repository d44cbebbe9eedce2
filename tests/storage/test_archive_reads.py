"""Contract: one read path over hot and archived days.

Rows stored by `save_many` over three days are read (snapshot_frame with and without as-of
seeds, time bounds and tickers; the API's history JSON and the model history `get_history`,
with limits and bounds), then the first two days are archived and their partitions dropped,
and every read is repeated: the frames are equal (values, order, dtypes), the JSON is
byte-identical and the models equal, whether a read touches archived days only, hot days only,
or both, and whether a market's as-of seed lies in an archived day. A read of hot days alone
does not look at the archive catalogue again (the list of archived days is cached); an unknown
ticker is still None (JSON) and a market without rows still [].

Across processes (a second `Database`, as the API or a notebook): a reader whose cached list
predates the drop reads every row of the day while it is retired (from the partition, while
the dropping process already reads the file, without duplicates) and right after the partition
is dropped; and a read that planned with a stale list and found the partition gone is redone.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
import pytest_asyncio

from kalshi_core.models import MarketSnapshot
from kalshi_core.storage.archive import ArchiveStore
from kalshi_core.storage.database import Database, Repositories, repositories
from kalshi_core.storage.partitions import existing_days
from kalshi_core.storage.postgres.archive import PostgresArchiveRepository
from kalshi_core.storage.postgres.archive_reads import ArchiveReader, archive_reader
from kalshi_core.storage.postgres.json_reads import PostgresJsonReads
from tests.builders import build_market, build_snapshot

D1, D2, D3 = date(2025, 6, 10), date(2025, 6, 11), date(2025, 6, 12)
# "KXPAR-A" < "KXPAR-A2" < "KXPAR-B": rows of one tick are ordered by ticker
A, A2, B = "KXPAR-A", "KXPAR-A2", "KXPAR-B"
QUIET = "KXPAR-C"  # changes only until D2 12:00: its seed for D3 lies in an archived day
EMPTY = "KXPAR-EMPTY"  # known, never quoted


def at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


async def _store_three_days(repos: Repositories) -> None:
    rng = random.Random(7)
    start = at(D1, 0)
    volume = dict.fromkeys((A, A2, B, QUIET), Decimal("100.00"))
    await repos.markets.upsert_markets([build_market(EMPTY)])
    for tick in range(3 * 48):  # every 30 minutes over the three days
        ts = start + timedelta(minutes=30 * tick)
        batch = []
        for ticker in (A, A2, B, QUIET):
            if ticker == QUIET and ts >= at(D2, 12):
                continue
            if rng.random() < 0.3:  # unchanged quotes are not stored: leave some out
                continue
            volume[ticker] += Decimal(rng.randrange(1, 10_000)) / 100
            bid = Decimal(rng.randrange(1, 500_000)) / 1_000_000
            batch.append(
                build_snapshot(
                    ticker,
                    ts,
                    bid=bid,
                    ask=bid + Decimal(rng.randrange(1, 400_000)) / 1_000_000,
                    last=Decimal(rng.randrange(0, 1_000_001)) / 1_000_000,
                    bid_size=Decimal(rng.randrange(0, 10**6)) / 100,
                    ask_size=Decimal(rng.randrange(0, 10**6)) / 100,
                    volume=volume[ticker],
                    volume_24h=Decimal(rng.randrange(0, 10**6)) / 100,
                    open_interest=Decimal(rng.randrange(0, 10**8)) / 100,
                    source=rng.choice(["rest", "websocket"]),
                    sequence=tick,
                )
            )
        if batch:
            await repos.markets.save_many(batch)


FRAMES: dict[str, dict[str, Any]] = {
    "everything": {"tickers": None},
    "archived only": {"tickers": [A, B], "start": at(D1, 5), "end": at(D1, 9)},
    "archived and hot, as of": {
        "tickers": [A, A2, B, QUIET],
        "start": at(D2, 12.25),
        "end": at(D3, 6),
        "as_of": True,
    },
    "hot, seeds archived": {"tickers": [QUIET, A, EMPTY], "start": at(D3, 1), "as_of": True},
    "hot, seeds hot": {"tickers": [A, B], "start": at(D3, 3), "as_of": True},
    "as of the first instant": {"tickers": None, "start": at(D1, 0), "as_of": True},
    "open end from an archived day": {"tickers": [A2], "start": at(D2, 20)},
}
HISTORIES: dict[str, tuple[str, int, datetime | None, datetime | None]] = {
    "newest 500": (A, 500, None, None),
    "newest 5 (hot rows fill the page)": (A, 5, None, None),
    "a page across the boundary": (B, 60, None, None),
    "archived only": (A, 10, at(D1, 6), at(D1, 12)),
    "until inside an archived day": (A2, 7, None, at(D2, 3)),
    "from inside an archived day": (A2, 500, at(D2, 22), None),
    "the quiet market": (QUIET, 20, None, at(D3, 12)),
    "a market without rows": (EMPTY, 10, None, None),
    "an unknown ticker": ("KXPAR-NOPE", 10, None, None),
}


async def _read_all(
    repos: Repositories, reads: PostgresJsonReads
) -> tuple[dict[str, pd.DataFrame], dict[str, str | None]]:
    frames = {}
    for name, kw in FRAMES.items():
        frames[name] = await repos.markets.snapshot_frame(
            kw["tickers"], kw.get("start"), kw.get("end"), as_of=kw.get("as_of", False)
        )
    histories = {
        name: await reads.history(ticker, limit, start, end)
        for name, (ticker, limit, start, end) in HISTORIES.items()
    }
    return frames, histories


async def _models(repos: Repositories) -> dict[str, list[MarketSnapshot]]:
    return {
        name: await repos.markets.get_history(ticker, limit, start, end)
        for name, (ticker, limit, start, end) in HISTORIES.items()
    }


def _assert_same(
    reads: tuple[dict[str, pd.DataFrame], dict[str, str | None]],
    expected: tuple[dict[str, pd.DataFrame], dict[str, str | None]],
    what: str,
) -> None:
    frames, histories = reads
    for name, frame in expected[0].items():
        pd.testing.assert_frame_equal(frames[name], frame, check_exact=True, obj=f"{what}: {name}")
    for name, text in expected[1].items():
        assert histories[name] == text, f"{what}: {name}"


@pytest_asyncio.fixture(loop_scope="session")
async def archive_store(clean_db: Database, tmp_path: Path) -> AsyncIterator[ArchiveStore]:
    store = ArchiveStore(str(tmp_path / "archive"))
    archive_reader(clean_db).use_store(store)
    yield store
    async with clean_db.acquire() as conn:
        await conn.execute("DELETE FROM archived_days")
    archive_reader(clean_db).use_store(ArchiveStore(str(tmp_path / "unused")))


@pytest.mark.parametrize("row_group_rows", [None, 7], ids=["default row groups", "7-row groups"])
async def test_an_archived_day_reads_like_a_hot_day(
    repos: Repositories,
    archive_store: ArchiveStore,
    monkeypatch: pytest.MonkeyPatch,
    row_group_rows: int | None,
) -> None:
    if row_group_rows is not None:  # every market's rows of a day span many row groups
        monkeypatch.setattr("kalshi_core.storage.postgres.archive.ROW_GROUP_ROWS", row_group_rows)
    await _store_three_days(repos)
    reads = PostgresJsonReads(repos.db, count_cache_s=0)
    hot_frames, hot_histories = await _read_all(repos, reads)
    hot_models = await _models(repos)
    # the data exercises what it should
    assert len(hot_frames["everything"]) > 300
    assert hot_frames["everything"]["observed_at"].duplicated().any()  # ties ordered by ticker
    seeds = hot_frames["hot, seeds archived"]
    assert (seeds["observed_at"] < at(D3, 1)).sum() == 2  # QUIET's and A's seeds
    assert hot_histories["an unknown ticker"] is None
    assert hot_histories["a market without rows"] == "[]"
    assert len(hot_models["newest 500"]) > 100
    assert hot_models["an unknown ticker"] == hot_models["a market without rows"] == []

    archive = PostgresArchiveRepository(repos.db, archive_store, drop_grace_s=0.0)
    for day in (D1, D2):
        assert await archive.archive_day("market_snapshots", day, today=D3 + timedelta(days=9))
    assert await archive.drop_expired("market_snapshots", hot_days=1, today=D3 + timedelta(1)) == [
        D1,
        D2,
    ]
    async with repos.db.acquire() as conn:
        assert {D1, D2}.isdisjoint(await existing_days(conn, "market_snapshots"))

    _assert_same(await _read_all(repos, reads), (hot_frames, hot_histories), "archived")
    models = await _models(repos)
    for name, expected_models in hot_models.items():
        assert models[name] == expected_models, name
    # the models hold what the JSON holds (one read path): the same rows, newest first
    newest = models["a page across the boundary"]
    assert [m.timestamp for m in newest] == sorted((m.timestamp for m in newest), reverse=True)
    assert newest[-1].timestamp < at(D3, 0) <= newest[0].timestamp  # archived and hot rows


async def test_a_file_written_again_is_read_with_its_own_footer(
    repos: Repositories, archive_store: ArchiveStore
) -> None:
    """Readers keep each file's parsed footer: a day's file written again under the same name
    (another layout, the same rows) is read with its new footer, whether the catalogue says it
    was written again (a new written_at) or not (a footer that no longer fits is read again)."""
    await _store_three_days(repos)
    reads = PostgresJsonReads(repos.db, count_cache_s=0)
    hot = await _read_all(repos, reads)
    archive = PostgresArchiveRepository(repos.db, archive_store, drop_grace_s=0.0)
    for day in (D1, D2):
        assert await archive.archive_day("market_snapshots", day, today=D3 + timedelta(days=9))
    await archive.drop_expired("market_snapshots", hot_days=1, today=D3 + timedelta(1))
    reader = archive_reader(repos.db)
    before = reader.footers_read
    _assert_same(await _read_all(repos, reads), hot, "archived")  # footers now kept
    footers = reader.footers_read
    assert footers == before + 2  # one per day, then kept
    _assert_same(await _read_all(repos, reads), hot, "archived again")
    assert reader.footers_read == footers

    for rows_per_group, new_written_at in ((5, True), (3, False)):
        for day in (D1, D2):
            path = archive_store.day_path("market_snapshots", day)
            with archive_store.fs.open(path, "rb") as f:
                table = pq.read_table(f)
            with archive_store.fs.open(path, "wb") as f:
                pq.write_table(table, f, row_group_size=rows_per_group, compression="snappy")
        if new_written_at:
            async with repos.db.acquire() as conn:
                await conn.execute("UPDATE archived_days SET written_at = clock_timestamp()")
            archive_reader(repos.db).forget()
        _assert_same(await _read_all(repos, reads), hot, f"{rows_per_group}-row groups")
        assert reader.footers_read == footers + 2
        footers = reader.footers_read


async def test_a_hot_read_does_not_query_the_archive(
    repos: Repositories, archive_store: ArchiveStore
) -> None:
    await repos.markets.save_many([build_snapshot(A, at(D3, 1))])
    reader = archive_reader(repos.db)
    reader.forget()
    reads = PostgresJsonReads(repos.db, count_cache_s=0)
    await reads.history(A, 10, at(D3, 0))
    loads = reader.loads
    for _ in range(5):
        await reads.history(A, 10, at(D3, 0))
        await repos.markets.snapshot_frame([A], at(D3, 0), as_of=True)
    assert reader.loads == loads


class _Clock:
    """A reader's monotonic clock that can be set (`held`) or follow the real one (None)."""

    def __init__(self) -> None:
        self.held: float | None = None

    def __call__(self) -> float:
        return time.monotonic() if self.held is None else self.held


async def _other_process(
    url: str, store: ArchiveStore, ttl_s: float
) -> tuple[Database, ArchiveReader]:
    other = await Database.connect(url, max_size=2)
    reader = archive_reader(other)
    reader.use_store(store)
    reader.ttl_s = ttl_s
    return other, reader


async def test_a_reader_with_a_warm_cache_reads_a_day_correctly_across_its_drop(
    repos: Repositories, archive_store: ArchiveStore, database_url: str
) -> None:
    await _store_three_days(repos)
    reads = PostgresJsonReads(repos.db, count_cache_s=0)
    hot = await _read_all(repos, reads)
    ttl = 1.0
    other, reader = await _other_process(database_url, archive_store, ttl)
    try:
        clock = _Clock()
        reader.clock = clock
        other_repos = repositories(other)
        other_reads = PostgresJsonReads(other, count_cache_s=0)
        _assert_same(await _read_all(other_repos, other_reads), hot, "warm")
        # its list of archived days (none) stays in use: as if every read came within the TTL
        clock.held = clock()
        loads = reader.loads

        archive = PostgresArchiveRepository(
            repos.db, archive_store, drop_grace_s=ttl + 0.5, drop_wait_s=0.0
        )
        for day in (D1, D2):
            assert await archive.archive_day("market_snapshots", day, today=D3 + timedelta(1))
        # phase 1: retired, not dropped (the grace is not over and the run may not wait)
        assert (
            await archive.drop_expired("market_snapshots", hot_days=1, today=D3 + timedelta(1))
            == []
        )
        async with repos.db.acquire() as conn:
            assert {D1, D2} <= await existing_days(conn, "market_snapshots")
        served = await archive_reader(repos.db).served()
        assert set(served.files) == served.retiring == {D1, D2}
        # this process reads the files (and leaves the partitions out), the other one still
        # reads the partitions with its old list: the same rows either way
        _assert_same(await _read_all(repos, reads), hot, "retired, this process")
        _assert_same(await _read_all(other_repos, other_reads), hot, "retired, warm list")
        assert reader.loads == loads

        # phase 2: the run waits out the grace, then drops; the other process reads at once
        clock.held = None
        archive.drop_wait_s = 10.0
        assert await archive.drop_expired(
            "market_snapshots", hot_days=1, today=D3 + timedelta(1)
        ) == [D1, D2]
        async with repos.db.acquire() as conn:
            assert {D1, D2}.isdisjoint(await existing_days(conn, "market_snapshots"))
        _assert_same(await _read_all(other_repos, other_reads), hot, "dropped, other process")
        assert reader.loads == loads + 1
        assert reader.redone == 0
    finally:
        await other.close()


async def test_a_read_that_found_a_partition_dropped_under_it_is_redone(
    repos: Repositories, archive_store: ArchiveStore, database_url: str
) -> None:
    await _store_three_days(repos)
    reads = PostgresJsonReads(repos.db, count_cache_s=0)
    expected_json = await reads.history(A, 500)
    expected_frame = await repos.markets.snapshot_frame([A, B], at(D1, 6), at(D3, 6))
    expected_models = await repos.markets.get_history(B, 300)
    other, reader = await _other_process(database_url, archive_store, 1.0)
    try:
        clock = _Clock()
        reader.clock = clock
        other_repos = repositories(other)
        other_reads = PostgresJsonReads(other, count_cache_s=0)
        acquire: Callable[[], Any] = other.acquire
        reads_of_the_other: list[Callable[[], Awaitable[Any]]] = [
            lambda: other_reads.history(A, 500),
            lambda: other_repos.markets.snapshot_frame([A, B], at(D1, 6), at(D3, 6)),
            lambda: other_repos.markets.get_history(B, 300),
        ]
        for n, read in enumerate(reads_of_the_other):
            day = (D1, D2, D3)[n]
            start = clock.held = time.monotonic()
            reader.forget()
            await other_reads.history(A, 1)  # a list loaded now, before the day is retired
            archive = PostgresArchiveRepository(repos.db, archive_store, drop_grace_s=0.0)
            assert await archive.archive_day("market_snapshots", day, today=D3 + timedelta(2))
            # dropped with no grace: what a read stalled for longer than the grace would meet
            today = D3 + timedelta(2)
            assert await archive.drop_expired("market_snapshots", hot_days=1, today=today) == [day]

            def stalled(late: float = start + 10.0) -> Any:
                clock.held = late  # the read went on past its list's age...
                return acquire()

            other.acquire = stalled  # type: ignore[method-assign]
            try:
                result = await read()
            finally:
                other.acquire = acquire  # type: ignore[method-assign]
            assert reader.redone == n + 1  # ...so the look after it reloaded the list: redone
            if n == 0:
                assert result == expected_json
            elif n == 1:
                assert isinstance(result, pd.DataFrame)
                pd.testing.assert_frame_equal(result, expected_frame, check_exact=True)
            else:
                assert result == expected_models
    finally:
        await other.close()
