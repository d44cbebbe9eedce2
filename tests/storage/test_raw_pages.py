"""Contract: raw API pages on real PostgreSQL: stored compressed (smaller than the payload),
read back byte-identical, written atomically with their tick by `save_many`, counted by window,
and pruned by retention (whole day partitions dropped, the boundary day trimmed).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from kalshi_core.storage.database import Database, Repositories
from kalshi_core.storage.repositories import RawPage, RawPageRepository

pytestmark = pytest.mark.usefixtures("clean_db")

D0 = datetime(2026, 10, 1, tzinfo=UTC)


def _page(when: datetime, cursor: str | None = None) -> RawPage:
    body = orjson.dumps(
        {
            "markets": [{"ticker": f"KXA-{i}", "yes_bid_dollars": "0.5600"} for i in range(200)],
            "cursor": cursor or "",
        }
    )
    return RawPage(
        fetched_at=when,
        endpoint="/markets",
        body=body,
        params={"status": "open", "limit": 1000},
        cursor=cursor,
    )


def test_satisfies_protocol(repos: Repositories) -> None:
    assert isinstance(repos.raw_pages, RawPageRepository)


async def test_round_trip_compressed(db: Database, repos: Repositories) -> None:
    page = _page(D0 + timedelta(hours=1), cursor="abc")
    assert await repos.raw_pages.add([page]) == 1
    [got] = await repos.raw_pages.list(D0, D0 + timedelta(days=1))
    assert got == page
    async with db.acquire() as conn:
        stored = await conn.fetchrow("SELECT raw_size, octet_length(body) AS n FROM raw_pages")
    assert stored["raw_size"] == len(page.body)
    assert stored["n"] < len(page.body) / 5


async def test_prune_drops_old_days(db: Database, repos: Repositories) -> None:
    pages = [_page(D0 + timedelta(days=d, hours=h)) for d in range(5) for h in (1, 13)]
    await repos.raw_pages.add(pages)
    assert await repos.raw_pages.count() == 10
    assert await repos.raw_pages.count(D0 + timedelta(days=1), D0 + timedelta(days=2)) == 2
    cutoff = D0 + timedelta(days=3, hours=12)
    removed = await repos.raw_pages.prune(cutoff)
    assert removed == 7  # days 0-2 whole (6) + day 3 at 01:00
    assert await repos.raw_pages.count() == 3
    remaining = await repos.raw_pages.list(D0, D0 + timedelta(days=10))
    assert [p.fetched_at for p in remaining] == [
        D0 + timedelta(days=3, hours=13),
        D0 + timedelta(days=4, hours=1),
        D0 + timedelta(days=4, hours=13),
    ]
    async with db.acquire() as conn:
        names = {
            r[0]
            for r in await conn.fetch(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'raw_pages'::regclass"
            )
        }
    assert "raw_pages_p20261001" not in names
    assert "raw_pages_p20261003" not in names
    assert "raw_pages_p20261004" in names
    # Writing into a pruned day again recreates its partition.
    assert await repos.raw_pages.add([_page(D0 + timedelta(hours=2))]) == 1
    assert await repos.raw_pages.prune(D0 + timedelta(days=1)) == 1


async def test_pages_written_with_their_tick(repos: Repositories) -> None:
    from kalshi_core.models import MarketSnapshot

    snap = MarketSnapshot(
        market_ticker="KXA-1",
        timestamp=D0,
        sequence=1,
        yes_bid="0.1",
        yes_ask="0.2",
        last_price="0.15",
    )
    await repos.markets.save_many([snap], raw_pages=[_page(D0), _page(D0, cursor="n2")])
    assert await repos.raw_pages.count() == 2
    with pytest.raises(ValueError, match="naive"):
        await repos.raw_pages.add(
            [RawPage(fetched_at=datetime(2026, 1, 1), endpoint="/x", body=b"")]
        )
    assert await repos.raw_pages.count() == 2
