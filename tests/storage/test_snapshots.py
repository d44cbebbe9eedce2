"""Contract: `MarketRepository` snapshot writes and reads on real PostgreSQL.

Protects: exact Decimal round trips; change-only storage with a correct `market_latest`;
idempotent re-writes of a tick (same report, nothing changes); duplicate-free concurrent writes;
all-or-nothing ticks (a bad row leaves nothing); rejection of naive datetimes and out-of-range
prices with clear errors; automatic day partitions; history ordering/limits/bounds; placeholder
markets for unknown tickers; the row-by-row `save` path agreeing with `save_many`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from kalshi_core.models import IngestPoll, MarketSnapshot
from kalshi_core.storage.database import Database, Repositories
from kalshi_core.storage.repositories import MarketRepository, RawPage, SaveReport

T0 = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)  # the builders' time origin

pytestmark = pytest.mark.usefixtures("clean_db")

Snap = Callable[..., MarketSnapshot]


async def _count(db: Database, sql: str = "SELECT count(*) FROM market_snapshots") -> int:
    async with db.acquire() as conn:
        return int(await conn.fetchval(sql))


async def _table_state(db: Database) -> tuple[Any, ...]:
    async with db.acquire() as conn:
        snaps = await conn.fetch("SELECT * FROM market_snapshots ORDER BY market_id, observed_at")
        latest = await conn.fetch("SELECT * FROM market_latest ORDER BY market_id")
        markets = await conn.fetch("SELECT id, ticker FROM markets ORDER BY id")
        polls = await conn.fetch(
            "SELECT tier, tick, rows_written, markets_seen, status FROM ingest_polls ORDER BY tick"
        )
    return tuple(tuple(map(tuple, rows)) for rows in (snaps, latest, markets, polls))


def test_repository_satisfies_protocol(repos: Repositories) -> None:
    assert isinstance(repos.markets, MarketRepository)


async def test_exact_decimal_round_trip(repos: Repositories, snap: Snap) -> None:
    s = snap(
        "KXA-1",
        0,
        bid="0.123456",
        ask="0.5600",
        last="0.000001",
        bid_size="1234567.89",
        ask_size="0.01",
        volume="98765432109876.50",
        volume_24h="92233720368547758.07",  # the largest count (int8 centi-contracts)
        open_interest="0.00",
    )
    report = await repos.markets.save_many([s])
    assert report == SaveReport(received=1, written=1, unchanged=0, duplicates=0)
    [got] = await repos.markets.get_history("KXA-1")
    assert got.quote_key() == s.quote_key()
    assert got.yes_bid == Decimal("0.123456")
    # exact, read back in shortest form (stored as integer centi-contracts, no scale is kept)
    assert str(got.volume) == "98765432109876.5"
    assert str(got.volume_24h) == "92233720368547758.07"
    assert got.timestamp == s.timestamp
    assert got.source == "rest"
    assert got.sequence == s.sequence
    latest = await repos.markets.get_latest("KXA-1")
    assert latest is not None
    assert latest.snapshot.quote_key() == s.quote_key()
    assert latest.changed_at == s.timestamp


async def test_change_only_writes_keep_latest_right(
    db: Database, repos: Repositories, snap: Snap
) -> None:
    r1 = await repos.markets.save_many([snap("KXA-1", 0), snap("KXA-2", 0)])
    assert (r1.written, r1.unchanged) == (2, 0)
    # Tick 2: A unchanged, B's ask moved. Quote equality is by value: 0.56 == 0.5600.
    r2 = await repos.markets.save_many(
        [snap("KXA-1", 5, ask="0.56", sequence=2), snap("KXA-2", 5, ask="0.5700", sequence=2)]
    )
    assert (r2.written, r2.unchanged, r2.duplicates) == (1, 1, 0)
    assert await _count(db) == 3

    a = await repos.markets.get_latest("KXA-1")
    b = await repos.markets.get_latest("KXA-2")
    assert a is not None
    assert b is not None
    assert a.snapshot.timestamp == T0 + timedelta(seconds=5)  # last observation
    assert a.snapshot.sequence == 2
    assert a.changed_at == T0  # but the quote last changed at the first tick
    assert b.snapshot.yes_ask == Decimal("0.5700")
    assert b.changed_at == T0 + timedelta(seconds=5)

    # A changes back later: stored again, compared with the latest quote (not an older row).
    r3 = await repos.markets.save_many([snap("KXA-1", 10, bid="0.40"), snap("KXA-1", 15)])
    assert (r3.written, r3.unchanged) == (2, 0)
    history = await repos.markets.get_history("KXA-1")
    assert [h.yes_bid for h in history] == [Decimal("0.4500"), Decimal("0.40"), Decimal("0.4500")]


async def test_same_tick_written_twice_changes_nothing(
    db: Database, repos: Repositories, snap: Snap
) -> None:
    tick = T0 + timedelta(seconds=5)
    poll = IngestPoll(tick=tick, status="ok", markets_seen=0)
    await repos.markets.save_many([snap("KXA-1", 0), snap("KXA-2", 0)])
    batch = [snap("KXA-1", 5, bid="0.46"), snap("KXA-2", 5), snap("KXA-3", 5)]
    first = await repos.markets.save_many(batch, poll=poll)
    assert first == SaveReport(received=3, written=2, unchanged=1, duplicates=0)
    state = await _table_state(db)
    again = await repos.markets.save_many(batch, poll=poll)
    # every observation of the tick is already recorded (the unchanged one in `seen`)
    assert again == SaveReport(received=3, written=0, unchanged=0, duplicates=3)
    assert await _table_state(db) == state
    [recorded] = await repos.polls.recorded_ticks("watchlist", tick, tick + timedelta(seconds=1))
    assert recorded.rows_written == 2
    assert recorded.markets_seen == 3


async def test_duplicates_inside_one_batch(repos: Repositories, snap: Snap) -> None:
    report = await repos.markets.save_many(
        [snap("KXA-1", 0, bid="0.10"), snap("KXA-1", 0, bid="0.20")]
    )
    assert report == SaveReport(received=2, written=1, unchanged=0, duplicates=1)
    [row] = await repos.markets.get_history("KXA-1")
    assert row.yes_bid == Decimal("0.20")  # the last one given wins


async def test_several_ticks_of_a_market_in_one_batch(repos: Repositories, snap: Snap) -> None:
    batch = [
        snap("KXA-1", 10, bid="0.30"),
        snap("KXA-1", 0, bid="0.10"),
        snap("KXA-1", 5, bid="0.10"),  # unchanged vs the row before it in time
        snap("KXA-1", 15, bid="0.30"),  # unchanged vs t=10
    ]
    report = await repos.markets.save_many(batch)
    assert report == SaveReport(received=4, written=2, unchanged=2, duplicates=0)
    history = await repos.markets.get_history("KXA-1")
    assert [h.timestamp for h in history] == [T0 + timedelta(seconds=10), T0]
    latest = await repos.markets.get_latest("KXA-1")
    assert latest is not None
    assert latest.snapshot.timestamp == T0 + timedelta(seconds=15)
    assert latest.changed_at == T0 + timedelta(seconds=10)


async def test_late_row_does_not_move_latest_back(repos: Repositories, snap: Snap) -> None:
    await repos.markets.save_many([snap("KXA-1", 0, bid="0.10")])
    await repos.markets.save_many([snap("KXA-1", 20, bid="0.30")])
    late = await repos.markets.save_many([snap("KXA-1", 10, bid="0.20")])
    assert late.written == 1
    latest = await repos.markets.get_latest("KXA-1")
    assert latest is not None
    assert latest.snapshot.yes_bid == Decimal("0.30")
    assert latest.snapshot.timestamp == T0 + timedelta(seconds=20)
    history = await repos.markets.get_history("KXA-1")
    assert [h.yes_bid for h in history] == [Decimal("0.30"), Decimal("0.20"), Decimal("0.10")]
    # A late row equal to its stored predecessor is unchanged, not stored.
    again = await repos.markets.save_many([snap("KXA-1", 12, bid="0.20")])
    assert (again.written, again.unchanged) == (0, 1)


async def test_unknown_ticker_gets_placeholder_market(
    db: Database, repos: Repositories, snap: Snap, market: Callable[..., Any]
) -> None:
    await repos.markets.save_many([snap("KXNEW-1", 0)])
    assert await repos.markets.get_market("KXNEW-1") is None  # no metadata yet
    latest = await repos.markets.get_latest("KXNEW-1")
    assert latest is not None
    assert latest.market is None
    await repos.markets.upsert_markets([market("KXNEW-1", title="Now known")])
    latest = await repos.markets.get_latest("KXNEW-1")
    assert latest is not None
    assert latest.market is not None
    assert latest.market.title == "Now known"
    assert await _count(db, "SELECT count(*) FROM markets") == 1


async def test_history_order_limit_and_bounds(repos: Repositories, snap: Snap) -> None:
    await repos.markets.save_many(
        [snap("KXA-1", t, bid=f"0.{t + 10:02d}") for t in range(0, 50, 5)]
        + [snap("KXB-1", t, bid=f"0.{t + 10:02d}") for t in range(0, 50, 5)]
    )
    history = await repos.markets.get_history("KXA-1")
    assert [h.timestamp for h in history] == [T0 + timedelta(seconds=t) for t in range(45, -5, -5)]
    assert all(h.market_ticker == "KXA-1" for h in history)
    assert len(await repos.markets.get_history("KXA-1", limit=3)) == 3
    window = await repos.markets.get_history(
        "KXA-1", start=T0 + timedelta(seconds=10), end=T0 + timedelta(seconds=25)
    )
    assert [h.timestamp for h in window] == [T0 + timedelta(seconds=t) for t in (20, 15, 10)]
    only_start = await repos.markets.get_history("KXA-1", start=T0 + timedelta(seconds=40))
    assert len(only_start) == 2
    only_end = await repos.markets.get_history("KXA-1", end=T0 + timedelta(seconds=5))
    assert [h.timestamp for h in only_end] == [T0]
    assert await repos.markets.get_history("KXNOPE") == []
    assert await repos.markets.get_history("KXA-1", limit=0) == []
    with pytest.raises(ValueError, match="naive"):
        await repos.markets.get_history("KXA-1", start=datetime(2026, 1, 1))


async def test_history_across_day_partitions(repos: Repositories, snap: Snap) -> None:
    base = datetime(2026, 11, 20, 23, 59, 55, tzinfo=UTC)
    await repos.markets.save_many(
        [snap("KXA-1", base + timedelta(seconds=5 * i), bid=f"0.{i + 10}") for i in range(4)]
    )
    history = await repos.markets.get_history("KXA-1")
    assert [h.timestamp for h in history] == [base + timedelta(seconds=5 * i) for i in (3, 2, 1, 0)]


async def test_latest_per_ticker(repos: Repositories, snap: Snap) -> None:
    for t in range(0, 30, 5):
        await repos.markets.save_many(
            [snap(f"KXA-{i}", t, bid=f"0.{10 + t + i:02d}") for i in range(5)]
        )
    for i in range(5):
        latest = await repos.markets.get_latest(f"KXA-{i}")
        assert latest is not None
        assert latest.snapshot.market_ticker == f"KXA-{i}"
        assert latest.snapshot.timestamp == T0 + timedelta(seconds=25)
        assert latest.snapshot.yes_bid == Decimal(f"0.{35 + i}")
    assert await repos.markets.get_latest("KXNOPE") is None


async def test_partition_for_a_new_day_appears(
    db: Database, repos: Repositories, snap: Snap
) -> None:
    future = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    name = f"market_snapshots_p{future:%Y%m%d}"
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT to_regclass($1)", name) is None
    report = await repos.markets.save_many([snap("KXA-1", future)])
    assert report.written == 1
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT to_regclass($1)::text", name) == name
    [row] = await repos.markets.get_history("KXA-1")
    assert row.timestamp == future


async def test_partition_dropped_behind_the_cache_is_recreated(
    db: Database, repos: Repositories, snap: Snap
) -> None:
    day = datetime(2027, 3, 1, 12, tzinfo=UTC)
    await repos.markets.save_many([snap("KXA-1", day)])
    async with db.acquire() as conn:
        await conn.execute("DROP TABLE market_snapshots_p20270301")
    report = await repos.markets.save_many([snap("KXA-2", day)])
    assert report.written == 1


async def test_naive_datetime_rejected_nothing_written(
    db: Database, repos: Repositories, snap: Snap
) -> None:
    good = snap("KXA-1", 0)
    naive = MarketSnapshot.model_construct(
        **{**good.model_dump(), "market_ticker": "KXA-2", "timestamp": datetime(2026, 1, 1)}
    )
    with pytest.raises(ValueError, match=r"KXA-2.*naive datetime"):
        await repos.markets.save_many([good, naive])
    with pytest.raises(ValueError, match="naive"):
        await repos.markets.save(naive)
    assert await _count(db) == 0
    assert await _count(db, "SELECT count(*) FROM markets") == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("yes_bid", "-0.01"), ("yes_ask", "1.0001"), ("last_price", "NaN"), ("volume", "-1")],
)
async def test_out_of_range_rejected_nothing_written(
    db: Database, repos: Repositories, snap: Snap, field: str, value: str
) -> None:
    good = snap("KXA-1", 0)
    bad = MarketSnapshot.model_construct(
        **{**good.model_dump(), "market_ticker": "KXA-2", field: Decimal(value)}
    )
    with pytest.raises(ValueError, match=rf"KXA-2.*{field}"):
        await repos.markets.save_many([good, bad], poll=IngestPoll(tick=T0))
    assert await _count(db) == 0
    assert await _count(db, "SELECT count(*) FROM ingest_polls") == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("yes_bid", "0.1234567", r"stored in micro-dollars \(at most 6 decimal places\)"),
        ("last_price", "0.0000015", r"stored in micro-dollars"),
        ("volume", "10.001", r"stored in centi-contracts \(at most 2 decimal places"),
        ("open_interest", "92233720368547758.08", r"up to 92233720368547758\.07"),
    ],
)
async def test_value_not_storable_exactly_rejected_nothing_written(
    db: Database, repos: Repositories, snap: Snap, field: str, value: str, message: str
) -> None:
    await repos.markets.save_many([snap("KXA-1", 0)])
    before = await _table_state(db)
    good = snap("KXA-1", 5, bid="0.47")
    # valid for the model (any exact Decimal), but not storable without rounding
    bad = snap("KXA-2", 5, **{_BUILDER_ARG.get(field, field): value})
    pattern = rf"snapshot #1 \(KXA-2\): {field}=Decimal\('{value}'\) cannot be stored exactly"
    with pytest.raises(ValueError, match=pattern + ".*" + message):
        await repos.markets.save_many([good, bad], poll=IngestPoll(tick=T0 + timedelta(seconds=5)))
    with pytest.raises(ValueError, match=r"snapshot #0 \(KXA-2\).*cannot be stored exactly"):
        await repos.markets.save(bad)
    assert await _table_state(db) == before


_BUILDER_ARG = {"yes_bid": "bid", "yes_ask": "ask", "last_price": "last"}


async def test_failing_batch_leaves_no_partial_tick(
    db: Database, repos: Repositories, snap: Snap
) -> None:
    await repos.markets.save_many([snap("KXA-1", 0)])
    before = await _table_state(db)
    # A bad row mid-batch: its conversion fails while the COPY streams, which aborts it whole.
    good = snap("KXA-1", 5, bid="0.47")
    bad = MarketSnapshot.model_construct(
        **{**good.model_dump(), "market_ticker": "KXA-9", "yes_bid": Decimal("1.5")}
    )
    with pytest.raises(ValueError, match=r"#1 \(KXA-9\): yes_bid=Decimal\('1.5'\) out of range"):
        await repos.markets.save_many(
            [good, bad, snap("KXA-3", 5)], poll=IngestPoll(tick=T0 + timedelta(seconds=5))
        )
    assert await _table_state(db) == before
    # A failure after the snapshots were written (the poll row violates a CHECK): the
    # snapshots, market_latest, new markets and the raw page all roll back together.
    page = RawPage(fetched_at=T0, endpoint="/markets", body=b"{}")
    bad_poll = IngestPoll.model_construct(**{**IngestPoll(tick=T0).model_dump(), "status": "?"})
    with pytest.raises(asyncpg.CheckViolationError, match="ingest_polls_status"):
        await repos.markets.save_many([good, snap("KXA-3", 5)], poll=bad_poll, raw_pages=[page])
    assert await _table_state(db) == before
    assert await repos.raw_pages.count() == 0


async def test_concurrent_writes_of_the_same_tick(
    db: Database, repos: Repositories, snap: Snap
) -> None:
    await repos.markets.save_many([snap(f"KXA-{i}", 0) for i in range(200)])
    batch = [snap(f"KXA-{i}", 5, bid="0.46") for i in range(200)] + [
        snap(f"KXNEW-{i}", 5) for i in range(50)
    ]
    r1, r2 = await asyncio.gather(repos.markets.save_many(batch), repos.markets.save_many(batch))
    assert r1.written + r2.written == 250
    assert r1.duplicates + r2.duplicates == 250
    assert await _count(db) == 450
    assert await _count(db, "SELECT count(*) FROM markets") == 250
    assert await _count(db, "SELECT count(*) FROM market_latest") == 250


async def test_concurrent_overlapping_batches_do_not_deadlock(
    repos: Repositories, snap: Snap
) -> None:
    tickers = [f"KXA-{i:03d}" for i in range(300)]
    batches = [
        [snap(t, 5 * k, bid=f"0.{k + 10}") for t in (tickers if k % 2 else tickers[::-1])]
        for k in range(6)
    ]
    reports = await asyncio.gather(*(repos.markets.save_many(b) for b in batches))
    assert sum(r.written + r.unchanged + r.duplicates for r in reports) == 1800
    for t in tickers[:5]:
        latest = await repos.markets.get_latest(t)
        assert latest is not None
        assert latest.snapshot.timestamp == T0 + timedelta(seconds=25)


async def test_row_by_row_save_matches_save_many(
    db: Database, repos: Repositories, snap: Snap
) -> None:
    ticks = [
        [snap(f"KXA-{i}", t, bid=f"0.{10 + (t // 5 + i) % 3}") for i in range(4)]
        for t in range(0, 30, 5)
    ]
    for tick in ticks:
        await repos.markets.save_many(tick)
    batch_state = await _table_state(db)
    async with db.acquire() as conn:
        await conn.execute(
            "TRUNCATE market_snapshots, market_latest, markets RESTART IDENTITY CASCADE"
        )
    for tick in ticks:
        for s in tick:
            await repos.markets.save(s)
    assert await _table_state(db) == batch_state
    # Re-saving a stored row is a no-op as well.
    await repos.markets.save(ticks[0][0])
    assert await _table_state(db) == batch_state


async def test_empty_batch(repos: Repositories) -> None:
    assert await repos.markets.save_many([]) == SaveReport(0, 0, 0, 0)


async def test_websocket_source_and_large_sequence(repos: Repositories, snap: Snap) -> None:
    await repos.markets.save_many([snap("KXA-1", 0, source="websocket", sequence=2**40)])
    [row] = await repos.markets.get_history("KXA-1")
    assert row.source == "websocket"
    assert row.sequence == 2**40


async def test_snapshot_frame(repos: Repositories, snap: Snap) -> None:
    await repos.markets.save_many([snap("KXA-1", 0), snap("KXB-1", 0, bid="0.1")])
    await repos.markets.save_many([snap("KXA-1", 5, bid="0.2"), snap("KXB-1", 5, bid="0.3")])
    frame = await repos.markets.snapshot_frame(["KXA-1", "KXB-1"], T0, T0 + timedelta(seconds=10))
    assert list(frame.columns) == [
        "market_ticker",
        "observed_at",
        "yes_bid",
        "yes_ask",
        "last_price",
        "yes_bid_size",
        "yes_ask_size",
        "volume",
        "open_interest",
    ]
    assert len(frame) == 4
    assert list(frame["market_ticker"]) == ["KXA-1", "KXB-1", "KXA-1", "KXB-1"]
    assert str(frame["observed_at"].dt.tz) == "UTC"
    assert frame["yes_bid"].dtype == "float64"
    assert frame["yes_bid"].tolist() == [0.45, 0.1, 0.2, 0.3]
    only_a = await repos.markets.snapshot_frame(["KXA-1"], T0 + timedelta(seconds=1))
    assert len(only_a) == 1
    empty = await repos.markets.snapshot_frame(["KXNOPE"])
    assert empty.empty
    assert empty["yes_bid"].dtype == "float64"
    everything = await repos.markets.snapshot_frame(None)
    assert len(everything) == 4


async def test_bad_row_in_a_later_copy_chunk(db: Database, repos: Repositories, snap: Snap) -> None:
    batch = [snap(f"KXA-{i:05d}", 0) for i in range(2500)]
    bad = MarketSnapshot.model_construct(**{**batch[2100].model_dump(), "volume": 5.0})
    with pytest.raises(ValueError, match=r"#2100 \(KXA-02100\): volume=5.0 must be a Decimal"):
        await repos.markets.save_many([*batch[:2100], bad, *batch[2101:]])
    assert await _count(db) == 0
    # The pool's connections are still usable afterwards.
    for _ in range(3):
        assert (await repos.markets.save_many(batch)).written in (0, 2500)
    assert await _count(db) == 2500


async def test_quality_of_a_window(
    repos: Repositories, snap: Snap, market: Callable[..., Any]
) -> None:
    await repos.markets.upsert_markets(
        [market("KXA-1"), market("KXA-2"), market("KXA-3", status="finalized")]
    )
    await repos.markets.save_many(
        [
            snap("KXA-1", 0, bid="0.60", ask="0.55"),  # crossed
            snap("KXA-2", 0),
            snap("KXA-3", 0),
            snap("KXA-4", 0),  # placeholder, no status
        ]
    )
    await repos.markets.save_many([snap("KXA-2", 3600 * 7, bid="0.20")])  # KXA-2 moves later
    q = await repos.markets.quality(T0, T0 + timedelta(days=1), stale_after=timedelta(hours=6))
    assert q.rows == 5
    assert q.markets == 4
    assert q.crossed == 1
    assert q.out_of_range == 0
    assert q.duplicate_keys == 0
    assert q.examples == [f"KXA-1 @ {T0.isoformat()}: bid 0.6 ask 0.55 last 0.5"]
    # Judged at the window end: KXA-1 (active) has not changed for 24 h, KXA-2 for 17 h.
    assert q.open_markets == 2
    assert q.stale_open_markets == 2
    early = await repos.markets.quality(T0, T0 + timedelta(hours=8), stale_after=timedelta(hours=6))
    assert early.rows == 5
    assert early.stale_open_markets == 1  # at T0+8h only KXA-1 is older than 6 h


async def test_binary_stage_carries_every_column_exactly(
    db: Database, repos: Repositories, snap: Snap
) -> None:
    # The stage is written as hand-encoded binary COPY: the extremes of every column, a time
    # before PostgreSQL's epoch (negative microseconds) and one given in another time zone, a
    # non-ASCII ticker, and several chunks of COPY data (2048 rows each) all read back equal.
    before_epoch = datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    elsewhere = datetime(2026, 11, 20, 7, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5)))
    edge = [
        snap(
            "KXÉTÉ-1",
            before_epoch,
            bid="0",
            ask="1",
            last="0.000001",
            bid_size="0",
            ask_size="0.01",
            volume="92233720368547758.07",
            volume_24h="92233720368547758.00",
            open_interest="123.4",
            source="websocket",
            sequence=2**63 - 1,
        ),
        snap("KXA-1", elsewhere, bid="0.999999", ask="1.000000", last="0.5", sequence=0),
    ]
    bulk = [snap(f"KXB-{i:05d}", 0, volume=f"{i}.{i % 100:02d}") for i in range(5000)]
    report = await repos.markets.save_many([*edge, *bulk])
    assert report.written == 5002
    for s in edge:
        [got] = await repos.markets.get_history(s.market_ticker, start=s.timestamp)
        assert got.quote_key() == s.quote_key()
        assert got.timestamp == s.timestamp
        assert (got.source, got.sequence) == (s.source, s.sequence)
    async with db.acquire() as conn:
        volumes = await conn.fetch(
            "SELECT m.ticker, h.volume FROM market_snapshots h JOIN markets m ON m.id = h.market_id"
            " WHERE m.ticker LIKE 'KXB-%' ORDER BY m.ticker"
        )
    assert [(r["ticker"], r["volume"]) for r in volumes] == [
        (f"KXB-{i:05d}", i * 100 + i % 100) for i in range(5000)
    ]


@pytest.mark.parametrize(
    ("ticker", "message"),
    [
        (7, r"snapshot #1: market_ticker 7 must be a str"),
        ("", r"snapshot #1: empty market_ticker"),
        ("KX\ud800", r"snapshot #1: market_ticker 'KX\\ud800' is not valid text"),
        ("KX\x00A", r"snapshot batch rejected"),  # text cannot hold NUL: the server refuses it
    ],
)
async def test_bad_ticker_rejected_nothing_written(
    db: Database, repos: Repositories, snap: Snap, ticker: object, message: str
) -> None:
    good = snap("KXA-1", 0)
    bad = MarketSnapshot.model_construct(**{**good.model_dump(), "market_ticker": ticker})
    with pytest.raises(ValueError, match=message):
        await repos.markets.save_many([good, bad])
    assert await _count(db) == 0
    assert await _count(db, "SELECT count(*) FROM markets") == 0
