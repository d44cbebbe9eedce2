"""Contract: `market_close_times` records each market's close_time as known over time, whoever
writes `markets` (real PostgreSQL). Inserting a market with a close adds a row stamped with the
metadata's `updated_at`, and so does changing the close. An upsert that leaves the close as it
is adds nothing, and neither does a placeholder row without metadata. A write without
`updated_at` is stamped now(), and the history stays in order, newest row = the current close.
`close_time_history` reads the pairs oldest first. Migration 0005 backfills existing markets
at -infinity and downgrades cleanly with data in place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg2

from kalshi_core.models import Market, MarketSnapshot
from kalshi_core.storage.database import Database, Repositories
from kalshi_core.storage.migrate import downgrade, upgrade

T0 = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)
MINUS_INFINITY = datetime.min.replace(tzinfo=UTC)

History = list[tuple[datetime, datetime | None]]


async def history(repos: Repositories, ticker: str) -> History:
    return (await repos.markets.close_time_history([ticker])).get(ticker, [])


async def test_a_changed_close_appends_a_row_and_an_unchanged_upsert_does_not(
    repos: Repositories, clean_db: Database, market: Callable[..., Market]
) -> None:
    first = market("KXCL-26-A", close_time=T0 + 3 * DAY, updated_at=T0)
    await repos.markets.upsert_markets([first])
    assert await history(repos, "KXCL-26-A") == [(T0, T0 + 3 * DAY)]

    # Newer metadata, same close (the catalogue re-sends every market): no row.
    await repos.markets.upsert_markets([first.model_copy(update={"updated_at": T0 + DAY})])
    await repos.markets.upsert_markets(
        [first.model_copy(update={"title": "renamed", "updated_at": T0 + DAY})]
    )
    assert await history(repos, "KXCL-26-A") == [(T0, T0 + 3 * DAY)]

    moved = first.model_copy(update={"close_time": T0 + 2 * DAY, "updated_at": T0 + 1.5 * DAY})
    await repos.markets.upsert_markets([moved])
    assert await history(repos, "KXCL-26-A") == [
        (T0, T0 + 3 * DAY),
        (T0 + 1.5 * DAY, T0 + 2 * DAY),
    ]

    # Stale metadata is refused by the upsert, so it adds no history either.
    await repos.markets.upsert_markets(
        [first.model_copy(update={"close_time": T0 + 9 * DAY, "updated_at": T0 + DAY})]
    )
    assert len(await history(repos, "KXCL-26-A")) == 2


async def test_placeholder_gets_history_when_its_metadata_arrives(
    repos: Repositories,
    clean_db: Database,
    market: Callable[..., Market],
    snap: Callable[..., MarketSnapshot],
) -> None:
    await repos.markets.save_many([snap("KXCL-26-B", 0)])  # ticker seen before its metadata
    assert await repos.markets.close_time_history(["KXCL-26-B"]) == {}
    await repos.markets.upsert_markets(
        [market("KXCL-26-B", close_time=T0 + DAY, updated_at=T0 + timedelta(hours=1))]
    )
    assert await history(repos, "KXCL-26-B") == [(T0 + timedelta(hours=1), T0 + DAY)]


async def test_a_write_without_updated_at_is_stamped_now_and_history_stays_in_order(
    repos: Repositories, clean_db: Database, market: Callable[..., Market]
) -> None:
    before = datetime.now(UTC)
    await repos.markets.upsert_markets([market("KXCL-26-C", close_time=T0 + DAY)])
    (stamp, close), *_ = await history(repos, "KXCL-26-C")
    assert close == T0 + DAY
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC) + timedelta(seconds=1)

    # An older updated_at after a now()-stamped row must not slip the new close behind the
    # stale one: it is stamped at the newest row's time and replaces it there.
    await repos.markets.upsert_markets(
        [market("KXCL-26-C", close_time=T0 + 2 * DAY, updated_at=T0)]
    )
    assert await history(repos, "KXCL-26-C") == [(stamp, T0 + 2 * DAY)]


async def test_hand_written_sql_is_recorded_too(
    repos: Repositories, clean_db: Database, market: Callable[..., Market]
) -> None:
    await repos.markets.upsert_markets([market("KXCL-26-D", close_time=T0 + DAY, updated_at=T0)])
    async with clean_db.acquire() as conn:
        await conn.execute(
            "UPDATE markets SET close_time = NULL, updated_at = $1 WHERE ticker = 'KXCL-26-D'",
            T0 + timedelta(hours=2),
        )
    assert await history(repos, "KXCL-26-D") == [
        (T0, T0 + DAY),
        (T0 + timedelta(hours=2), None),
    ]


async def test_history_reads_the_requested_tickers_oldest_first(
    repos: Repositories, clean_db: Database, market: Callable[..., Market]
) -> None:
    await repos.markets.upsert_markets(
        [
            market("KXCL-26-E", close_time=T0 + DAY, updated_at=T0),
            market("KXCL-26-F", close_time=T0 + 5 * DAY, updated_at=T0),
        ]
    )
    await repos.markets.upsert_markets(
        [market("KXCL-26-E", close_time=T0 + 4 * DAY, updated_at=T0 + DAY)]
    )
    got = await repos.markets.close_time_history(["KXCL-26-E", "KXCL-26-NOPE"])
    assert got == {"KXCL-26-E": [(T0, T0 + DAY), (T0 + DAY, T0 + 4 * DAY)]}


async def test_a_backfilled_close_reads_as_known_since_datetime_min(
    repos: Repositories, clean_db: Database, market: Callable[..., Market]
) -> None:
    await repos.markets.upsert_markets([market("KXCL-26-G", close_time=T0 + DAY, updated_at=T0)])
    async with clean_db.acquire() as conn:  # what migration 0005 writes for an existing market
        await conn.execute("UPDATE market_close_times SET known_from = '-infinity'")
    assert await history(repos, "KXCL-26-G") == [(MINUS_INFINITY, T0 + DAY)]


# --- migration 0005 on a populated database ---------------------------------------------------


def _rows(cur: psycopg2.extensions.cursor, sql: str) -> list[tuple[object, ...]]:
    cur.execute(sql)
    return list(cur.fetchall())


_HISTORY_SQL = (
    "SELECT m.ticker, h.known_from = '-infinity', h.close_time "
    "FROM market_close_times h JOIN markets m ON m.id = h.market_id ORDER BY 1, h.known_from"
)


def test_migration_backfills_at_minus_infinity_and_downgrades_with_data(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url, "0004", partition_days_ahead=0)
    conn = psycopg2.connect(empty_database_url)
    conn.autocommit = True
    try:
        cur = conn.cursor()
        cur.execute(
            "INSERT INTO markets (ticker, event_ticker, status, close_time, updated_at) VALUES "
            "('KXM-A', 'KXM', 'active', %s, %s), ('KXM-B', 'KXM', 'active', NULL, %s)",
            (T0 + DAY, T0, T0),
        )
        cur.execute("INSERT INTO markets (ticker) VALUES ('KXM-PLACEHOLDER')")

        upgrade(empty_database_url, "0005", partition_days_ahead=0)
        # One row per market with a close; we cannot know since when it was known.
        assert _rows(cur, _HISTORY_SQL) == [("KXM-A", True, T0 + DAY)]
        cur.execute(
            "UPDATE markets SET close_time = %s, updated_at = %s WHERE ticker = 'KXM-A'",
            (T0 + 2 * DAY, T0 + timedelta(hours=6)),
        )
        assert _rows(cur, _HISTORY_SQL) == [
            ("KXM-A", True, T0 + DAY),
            ("KXM-A", False, T0 + 2 * DAY),
        ]

        downgrade(empty_database_url, "0004")
        assert _rows(cur, "SELECT to_regclass('market_close_times')") == [(None,)]
        assert _rows(cur, "SELECT count(*) FROM pg_proc WHERE proname LIKE 'kalshi_record%'") == [
            (0,)
        ]
        # Markets keep their data, and writes to them work without the triggers.
        cur.execute("UPDATE markets SET close_time = %s WHERE ticker = 'KXM-B'", (T0 + DAY,))
        assert _rows(cur, "SELECT ticker, close_time FROM markets ORDER BY ticker") == [
            ("KXM-A", T0 + 2 * DAY),
            ("KXM-B", T0 + DAY),
            ("KXM-PLACEHOLDER", None),
        ]

        upgrade(empty_database_url, "0005", partition_days_ahead=0)
        assert _rows(cur, _HISTORY_SQL) == [
            ("KXM-A", True, T0 + 2 * DAY),
            ("KXM-B", True, T0 + DAY),
        ]
    finally:
        conn.close()
