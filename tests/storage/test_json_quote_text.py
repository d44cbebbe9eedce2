"""Contract: the integer arithmetic that writes quote columns as JSON text in the many-row reads
(history pages, the markets list) gives exactly the text of the exact NUMERIC form
(`trim_scale(units * 0.000001 | 0.01)::text`) for every value, not only the whole cents and
whole contracts it is fast for: every price from 0 to 1 dollar in micro-dollars, values outside
the CHECK range, and counts of both signs up to the int8 bounds.
"""

from __future__ import annotations

import pytest

from kalshi_core.storage.database import Database
from kalshi_core.storage.postgres.json_reads import _integer_quote, _numeric_quote

# int4 and int8 bounds and their neighbours: the fallback must hold there too
_PRICE_EDGES = "-2147483648, -1000000, -10000, -1, 1000001, 1010000, 2000000, 2147483647"
_COUNT_EDGES = (
    "-9223372036854775808, -9223372036854775807, -10001, -10000, -150, -100, -99, -10, -1, "
    "9223372036854775800, 9223372036854775806, 9223372036854775807"
)


async def _mismatches(db: Database, column: str, rows_sql: str) -> list[tuple[int, str, str]]:
    fast, exact = _integer_quote("t", column), _numeric_quote("t", column)
    async with db.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT t.{column}, {fast}, {exact} FROM ({rows_sql}) t "
            f"WHERE ({fast}) IS DISTINCT FROM ({exact}) ORDER BY 1 LIMIT 5"
        )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_every_price_is_written_as_the_numeric_form(db: Database) -> None:
    # all 1,000,001 micro-dollar prices in [0, 1], then values the CHECKs refuse
    every = "SELECT g::int4 AS yes_bid FROM generate_series(0, 1000000) g"
    edges = f"SELECT unnest(ARRAY[{_PRICE_EDGES}]::int4[]) AS yes_bid"
    assert await _mismatches(db, "yes_bid", every) == []
    assert await _mismatches(db, "yes_bid", edges) == []


async def test_every_count_is_written_as_the_numeric_form(db: Database) -> None:
    near_zero = "SELECT g::int8 AS volume FROM generate_series(-100000, 100000) g"
    large = "SELECT g::int8 * 1000003 + 17 AS volume FROM generate_series(0, 100000) g"
    edges = f"SELECT unnest(ARRAY[{_COUNT_EDGES}]::int8[]) AS volume"
    for rows_sql in (near_zero, large, edges):
        assert await _mismatches(db, "volume", rows_sql) == [], rows_sql


@pytest.mark.parametrize(
    ("column", "units", "text"),
    [
        ("yes_bid", 0, "0"),
        ("yes_bid", 450000, "0.45"),
        ("yes_bid", 500000, "0.5"),
        ("yes_bid", 50000, "0.05"),
        ("yes_bid", 10000, "0.01"),
        ("yes_bid", 990000, "0.99"),
        ("yes_bid", 1000000, "1"),
        ("yes_bid", 1, "0.000001"),
        ("yes_bid", 123456, "0.123456"),
        ("volume", 0, "0"),
        ("volume", 100, "1"),
        ("volume", 250, "2.5"),
        ("volume", 1, "0.01"),
        ("volume", 9223372036854775807, "92233720368547758.07"),
    ],
)
async def test_known_values(db: Database, column: str, units: int, text: str) -> None:
    kind = "int4" if column == "yes_bid" else "int8"
    async with db.acquire() as conn:
        got = await conn.fetchrow(
            f"SELECT {_integer_quote('t', column)}, {_numeric_quote('t', column)} "
            f"FROM (SELECT $1::{kind} AS {column}) t",
            units,
        )
    assert got is not None
    assert (got[0], got[1]) == (text, text)
