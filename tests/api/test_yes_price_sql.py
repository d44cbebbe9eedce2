"""Contract: the SQL transcription of `derive_yes_price` (kalshi_api.queries.YES_PRICE_SQL)
gives exactly the Python rule's result, so the hot endpoints and the domain model can never
disagree on `yes_price`.

Checked on every branch (both sides quote, no bid, no ask, empty book, locked and crossed books)
over a grid of prices with up to 6 decimals.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from kalshi_api.queries import YES_PRICE_SQL
from kalshi_core.models import derive_yes_price
from kalshi_core.storage.database import Database

PRICES = [
    Decimal(p) for p in ("0", "0.000001", "0.01", "0.1", "0.4999", "0.5", "0.5600", "0.999999", "1")
]


async def test_sql_and_python_agree(db: Database) -> None:
    cases = list(itertools.product(PRICES, PRICES, [Decimal("0"), Decimal("0.42"), Decimal("1")]))
    expr = YES_PRICE_SQL.format(bid="c.bid", ask="c.ask", last="c.last")
    sql = (
        f"SELECT c.i, {expr} FROM unnest($1::int[], $2::numeric[], $3::numeric[], $4::numeric[])"
        " AS c(i, bid, ask, last)"
    )
    async with db.acquire() as conn:
        rows = await conn.fetch(
            sql,
            list(range(len(cases))),
            [c[0] for c in cases],
            [c[1] for c in cases],
            [c[2] for c in cases],
        )
    got = {r[0]: r[1] for r in rows}
    assert len(got) == len(cases)
    for i, (bid, ask, last) in enumerate(cases):
        assert got[i] == derive_yes_price(bid, ask, last), (bid, ask, last)
    # The grid reaches every branch of the rule.
    assert any(b > 0 and a < 1 and a >= b for b, a, _ in cases)
    assert any(a < b for b, a, _ in cases if b > 0 and a < 1)
    assert any(b == 0 for b, _, _ in cases)
    assert any(a == 1 for _, a, _ in cases)
