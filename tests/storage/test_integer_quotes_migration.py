"""Contract: migration 0009 converts the quote columns of a populated database to exact integers
and back.

Rows written through the NUMERIC schema (revision 0008) into two day partitions and into
`market_latest` (6-decimal prices, fractional and huge counts, zero-padded scales) are, after the
upgrade, the same values in micro-dollars (int4) and centi-contracts (int8) with the new CHECKs
on every partition; the writer then sees the migrated quote as the same quote. Downgrading gives
NUMERIC values equal to the originals. A stored value the integers cannot hold exactly makes the
upgrade fail with the number of rows and an example, and leaves schema and data as they were.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg2
import pytest

from kalshi_core.models import MarketSnapshot
from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.migrate import current, downgrade, upgrade
from kalshi_core.storage.tables import QUOTE_COLUMNS, QUOTE_PRICES
from kalshi_core.units import count_to_centi, price_to_micros

DAY1 = datetime(2026, 3, 9, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)

# (ticker, observed_at, quote in QUOTE_COLUMNS order)
ROWS: list[tuple[str, datetime, tuple[str, ...]]] = [
    (
        "KXMIG-A",
        DAY1 + timedelta(hours=1),
        ("0.4500", "0.46", "0.000001", "123.45", "0.01", "1000000.00", "0", "500"),
    ),
    (
        "KXMIG-A",
        DAY2 + timedelta(hours=2),
        (
            "0.123456",
            "1.000000",
            "0",
            "0.5",
            "92233720368547758.07",
            "98765432109876.50",
            "1",
            "0.00",
        ),
    ),
    ("KXMIG-B", DAY1 + timedelta(hours=3), ("0", "1", "0.999999", "0", "0", "0", "0", "0")),
    (
        "KXMIG-B",
        DAY2 + timedelta(hours=4),
        ("0.0001", "0.5650", "0.01", "7.50", "10", "40", "4", "2"),
    ),
]
LATEST = [ROWS[1], ROWS[3]]


def _connect(url: str) -> Any:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def _partition(cur: Any, day: datetime) -> None:
    cur.execute(
        f"CREATE TABLE market_snapshots_p{day:%Y%m%d} PARTITION OF market_snapshots "
        "FOR VALUES FROM (%s) TO (%s)",
        (day, day + timedelta(days=1)),
    )


def _populate_0008(url: str) -> None:
    """Writes through the NUMERIC schema, as a database of revision 0008 holds them."""
    upgrade(url, "0008")
    cols = ", ".join(QUOTE_COLUMNS)
    marks = ", ".join(["%s"] * len(QUOTE_COLUMNS))
    with _connect(url) as conn, conn.cursor() as cur:
        _partition(cur, DAY1)
        _partition(cur, DAY2)
        cur.execute("INSERT INTO markets (ticker) VALUES ('KXMIG-A'), ('KXMIG-B')")
        for k, (ticker, at, quote) in enumerate(ROWS):
            cur.execute(
                f"INSERT INTO market_snapshots (observed_at, sequence, market_id, source, {cols}) "
                f"SELECT %s, %s, id, 0, {marks} FROM markets WHERE ticker = %s",
                (at, k + 1, *map(Decimal, quote), ticker),
            )
        for ticker, at, quote in LATEST:
            cur.execute(
                "INSERT INTO market_latest (market_id, observed_at, changed_at, sequence, "
                f"source, {cols}, seen, seen_from) "
                f"SELECT id, %s, %s, 1, 0, {marks}, ARRAY[%s]::timestamptz[], %s "
                "FROM markets WHERE ticker = %s",
                (at, at, *map(Decimal, quote), at, at, ticker),
            )


def _read(url: str, table: str) -> list[tuple[Any, ...]]:
    with _connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"SELECT m.ticker, t.observed_at, {', '.join(f't.{c}' for c in QUOTE_COLUMNS)} "
            f"FROM {table} t JOIN markets m ON m.id = t.market_id ORDER BY m.ticker, t.observed_at"
        )
        return [tuple(r) for r in cur.fetchall()]


def _texts(url: str) -> dict[str, list[tuple[str, ...]]]:
    return {
        t: [tuple(map(str, r)) for r in _read(url, t)]
        for t in ("market_snapshots", "market_latest")
    }


def _catalog(url: str, sql: str) -> list[tuple[Any, ...]]:
    with _connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]


def _column_types(url: str) -> dict[tuple[str, str], str]:
    rows = _catalog(
        url,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_name IN ('market_snapshots', 'market_latest', 'market_snapshots_p20260309',"
        " 'market_snapshots_p20260310') AND column_name IN ("
        + ", ".join(f"'{c}'" for c in QUOTE_COLUMNS)
        + ")",
    )
    return {(t, c): d for t, c, d in rows}


def _as_integers(quote: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(
        price_to_micros(Decimal(v)) if c in QUOTE_PRICES else count_to_centi(Decimal(v))
        for c, v in zip(QUOTE_COLUMNS, quote, strict=True)
    )


def test_up_and_down_on_a_populated_database(empty_database_url: str) -> None:
    url = empty_database_url
    _populate_0008(url)
    before = {t: _read(url, t) for t in ("market_snapshots", "market_latest")}

    upgrade(url, "0009")
    assert current(url) == "0009"
    types = _column_types(url)
    assert len(types) == 4 * len(QUOTE_COLUMNS)  # parent, both partitions, market_latest
    for (_table, column), data_type in types.items():
        assert data_type == ("integer" if column in QUOTE_PRICES else "bigint"), column
    for table, rows in (("market_snapshots", ROWS), ("market_latest", LATEST)):
        want = sorted((t, at, *_as_integers(q)) for t, at, q in rows)
        assert _read(url, table) == want, table
    # the new CHECKs hold on each partition, the old ones are gone
    checks = _catalog(
        url,
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'market_snapshots_p20260310'::regclass AND contype = 'c' ORDER BY 2",
    )
    assert (
        "market_snapshots_p20260310",
        "market_snapshots_yes_bid_range",
        "CHECK (((yes_bid >= 0) AND (yes_bid <= 1000000)))",
    ) in checks
    assert not [c for c in checks if c[1].endswith("_check")]
    comments = _catalog(
        url,
        "SELECT col_description('market_latest'::regclass, attnum) FROM pg_attribute "
        "WHERE attrelid = 'market_latest'::regclass AND attname IN ('yes_ask', 'volume') "
        "ORDER BY attname",
    )
    assert [c[0].split(":")[0] for c in comments] == ["centi-contracts", "micro-dollars"]
    with _connect(url) as conn, conn.cursor() as cur, pytest.raises(psycopg2.errors.CheckViolation):
        cur.execute("UPDATE market_latest SET yes_bid = 1000001")

    downgrade(url, "0008")
    assert current(url) == "0008"
    assert set(_column_types(url).values()) == {"numeric"}
    assert before == {t: _read(url, t) for t in ("market_snapshots", "market_latest")}
    # the NUMERIC CHECKs of 0001 are back under their names
    with _connect(url) as conn, conn.cursor() as cur, pytest.raises(psycopg2.errors.CheckViolation):
        cur.execute("UPDATE market_latest SET yes_bid = 1.5")


async def test_writer_sees_the_migrated_quote_as_the_same_quote(empty_database_url: str) -> None:
    url = empty_database_url
    _populate_0008(url)
    upgrade(url, "0009")
    ticker, at, quote = ROWS[3]
    fields = dict(zip(QUOTE_COLUMNS, map(Decimal, quote), strict=True))
    db = await Database.connect(url, min_size=1, max_size=2)
    try:
        repos = repositories(db)
        later = at + timedelta(seconds=5)
        same = MarketSnapshot(market_ticker=ticker, timestamp=later, sequence=9, **fields)
        moved = same.model_copy(
            update={"timestamp": later + timedelta(seconds=5), "yes_bid": Decimal("0.000002")}
        )
        assert (await repos.markets.save_many([same])).unchanged == 1
        assert (await repos.markets.save_many([moved])).written == 1
        upgrade(url)  # reads look up the archive's catalogue (migrations 0010 and 0011)
        history = await repos.markets.get_history(ticker)
        assert [h.yes_bid for h in history] == [Decimal("0.000002"), Decimal("0.0001"), 0]
        assert history[1].quote_key() == tuple(map(Decimal, quote))
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("market_snapshots", "yes_bid", "0.1234567"),
        ("market_latest", "volume", "12.345"),
        ("market_latest", "open_interest", "NaN"),
        ("market_snapshots", "volume_24h", "92233720368547758.08"),
    ],
)
def test_inexact_value_refuses_the_upgrade_and_keeps_the_data(
    empty_database_url: str, table: str, column: str, value: str
) -> None:
    url = empty_database_url
    _populate_0008(url)
    with _connect(url) as conn, conn.cursor() as cur:
        # two rows (both markets' rows of the second day) hold the value
        cur.execute(
            f"UPDATE {table} SET {column} = %s::numeric WHERE observed_at >= %s", (value, DAY2)
        )
        count = cur.rowcount
    assert count == 2
    before = _texts(url)  # as text: NaN equals nothing, not even itself
    with pytest.raises(RuntimeError) as info:
        upgrade(url, "0009")
    message = str(info.value)
    assert f"{table}: 2 row(s)" in message
    assert "e.g. KXMIG-A observed at 2026-03-10" in message
    assert f"{column}={value}" in message
    assert "nothing was changed" in message
    assert current(url) == "0008"
    assert set(_column_types(url).values()) == {"numeric"}
    assert _texts(url) == before
