"""Contract: `MarketRepository.get_all_latest` (the API's /markets) on real PostgreSQL.

Protects: filters by status/series/event, case-insensitive search over ticker and title that is
injection-safe and treats LIKE wildcards literally, every sort key in both directions with the
ticker as tie-breaker, pagination with an exact total, placeholder markets listed without
metadata, and market metadata round trips (Decimal tick sizes, price ranges, upsert ordering).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kalshi_core.models import Market, MarketSnapshot, PriceRange
from kalshi_core.storage.database import Database, Repositories
from kalshi_core.storage.postgres.json_reads import PostgresJsonReads
from kalshi_core.storage.postgres.markets import PostgresMarketRepository
from kalshi_core.storage.repositories import JsonReadRepository, MarketFilter

pytestmark = pytest.mark.usefixtures("clean_db")

T0 = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
async def catalogue(
    clean_db: Database,
    repos: Repositories,
    snap: Callable[..., MarketSnapshot],
    market: Callable[..., Market],
) -> None:
    markets = [
        market(
            "KXFED-26DEC-T4.00",
            title="Fed rate above 4.00%?",
            status="active",
            close_time=T0 + timedelta(days=30),
        ),
        market(
            "KXFED-26DEC-T4.25",
            title="Fed rate above 4.25%?",
            status="active",
            close_time=T0 + timedelta(days=30),
        ),
        market(
            "KXCPI-26NOV-B3",
            title="CPI 100% certain_ish",
            status="closed",
            close_time=T0 + timedelta(days=2),
        ),
        market(
            "KXNBA-26NOV20-LAL", title="Lakers win? O'Neil said", status="active", close_time=None
        ),
    ]
    await repos.markets.upsert_markets(markets)
    await repos.markets.save_many(
        [
            snap("KXFED-26DEC-T4.00", 0, volume="500.00", volume_24h="50", open_interest="10"),
            snap("KXFED-26DEC-T4.25", 0, volume="1500.00", volume_24h="5", open_interest="30"),
            snap("KXCPI-26NOV-B3", 0, volume="20.00", volume_24h="500", open_interest="20"),
            snap("KXNBA-26NOV20-LAL", 0, volume="1500.00", volume_24h="0", open_interest="0"),
            snap("KXUNKNOWN-1", 0, volume="7.00"),  # no metadata yet
        ]
    )
    # A later change for one market so "updated" has an order.
    await repos.markets.save_many(
        [
            snap(
                "KXCPI-26NOV-B3",
                60,
                bid="0.30",
                volume="20.00",
                volume_24h="500",
                open_interest="20",
            )
        ]
    )


def _tickers(items: list[Any]) -> list[str]:
    return [q.snapshot.market_ticker for q in items]


@pytest.mark.usefixtures("catalogue")
async def test_unfiltered_page_and_total(repos: Repositories) -> None:
    page = await repos.markets.get_all_latest()
    assert page.total == 5
    assert _tickers(page.items) == sorted(_tickers(page.items))
    unknown = next(q for q in page.items if q.snapshot.market_ticker == "KXUNKNOWN-1")
    assert unknown.market is None
    fed = next(q for q in page.items if q.snapshot.market_ticker == "KXFED-26DEC-T4.00")
    assert fed.market is not None
    assert fed.market.title == "Fed rate above 4.00%?"
    assert fed.snapshot.volume == Decimal("500.00")


@pytest.mark.usefixtures("catalogue")
async def test_pagination(repos: Repositories) -> None:
    every = _tickers((await repos.markets.get_all_latest(limit=100)).items)
    first = await repos.markets.get_all_latest(limit=2, offset=0)
    second = await repos.markets.get_all_latest(limit=2, offset=2)
    third = await repos.markets.get_all_latest(limit=2, offset=4)
    assert _tickers(first.items) + _tickers(second.items) + _tickers(third.items) == every
    assert first.total == second.total == third.total == 5
    beyond = await repos.markets.get_all_latest(limit=2, offset=50)
    assert beyond.items == []
    assert beyond.total == 5
    with pytest.raises(ValueError, match="limit"):
        await repos.markets.get_all_latest(limit=-1)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (
            MarketFilter(status="active"),
            ["KXFED-26DEC-T4.00", "KXFED-26DEC-T4.25", "KXNBA-26NOV20-LAL"],
        ),
        (MarketFilter(status="closed"), ["KXCPI-26NOV-B3"]),
        (MarketFilter(series_ticker="KXFED"), ["KXFED-26DEC-T4.00", "KXFED-26DEC-T4.25"]),
        (MarketFilter(event_ticker="KXFED-26DEC"), ["KXFED-26DEC-T4.00", "KXFED-26DEC-T4.25"]),
        (MarketFilter(series_ticker="KXFED", status="closed"), []),
        (MarketFilter(search="fed"), ["KXFED-26DEC-T4.00", "KXFED-26DEC-T4.25"]),
        (MarketFilter(search="LAKERS"), ["KXNBA-26NOV20-LAL"]),
        (MarketFilter(search="t4.2"), ["KXFED-26DEC-T4.25"]),
        (MarketFilter(search="unknown"), ["KXUNKNOWN-1"]),
        # LIKE wildcards are literal characters, not patterns.
        (MarketFilter(search="100%"), ["KXCPI-26NOV-B3"]),
        (MarketFilter(search="%"), ["KXCPI-26NOV-B3", "KXFED-26DEC-T4.00", "KXFED-26DEC-T4.25"]),
        (MarketFilter(search="_ish"), ["KXCPI-26NOV-B3"]),
        (MarketFilter(search="a_e"), []),
        # Injection-shaped input is just text.
        (MarketFilter(search="' OR '1'='1"), []),
        (MarketFilter(search="O'Neil"), ["KXNBA-26NOV20-LAL"]),
        (MarketFilter(search="x'); DROP TABLE markets; --"), []),
        (MarketFilter(status="active' OR 'a'='a"), []),
        (MarketFilter(series_ticker="KXFED; DELETE FROM market_latest"), []),
        (MarketFilter(search="\\"), []),
    ],
)
async def test_filters_and_search(
    repos: Repositories, db: Database, flt: MarketFilter, expected: list[str]
) -> None:
    page = await repos.markets.get_all_latest(flt)
    assert _tickers(page.items) == expected
    assert page.total == len(expected)
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM markets") == 5
        assert await conn.fetchval("SELECT count(*) FROM market_latest") == 5


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("sort", "descending", "expected"),
    [
        (
            "volume",
            True,
            [
                "KXFED-26DEC-T4.25",
                "KXNBA-26NOV20-LAL",
                "KXFED-26DEC-T4.00",
                "KXCPI-26NOV-B3",
                "KXUNKNOWN-1",
            ],
        ),
        (
            "volume",
            False,
            [
                "KXUNKNOWN-1",
                "KXCPI-26NOV-B3",
                "KXFED-26DEC-T4.00",
                "KXFED-26DEC-T4.25",
                "KXNBA-26NOV20-LAL",
            ],
        ),
        (
            "volume_24h",
            True,
            [
                "KXCPI-26NOV-B3",
                "KXUNKNOWN-1",
                "KXFED-26DEC-T4.00",
                "KXFED-26DEC-T4.25",
                "KXNBA-26NOV20-LAL",
            ],
        ),
        (
            "open_interest",
            True,
            [
                "KXUNKNOWN-1",
                "KXFED-26DEC-T4.25",
                "KXCPI-26NOV-B3",
                "KXFED-26DEC-T4.00",
                "KXNBA-26NOV20-LAL",
            ],
        ),
        (
            "close_time",
            False,
            [
                "KXCPI-26NOV-B3",
                "KXFED-26DEC-T4.00",
                "KXFED-26DEC-T4.25",
                "KXNBA-26NOV20-LAL",
                "KXUNKNOWN-1",
            ],
        ),
        (
            "updated",
            True,
            [
                "KXCPI-26NOV-B3",
                "KXFED-26DEC-T4.00",
                "KXFED-26DEC-T4.25",
                "KXNBA-26NOV20-LAL",
                "KXUNKNOWN-1",
            ],
        ),
        (
            "ticker",
            True,
            [
                "KXUNKNOWN-1",
                "KXNBA-26NOV20-LAL",
                "KXFED-26DEC-T4.25",
                "KXFED-26DEC-T4.00",
                "KXCPI-26NOV-B3",
            ],
        ),
    ],
)
async def test_sorts(repos: Repositories, sort: Any, descending: bool, expected: list[str]) -> None:
    page = await repos.markets.get_all_latest(MarketFilter(sort=sort, descending=descending))
    assert _tickers(page.items) == expected


async def test_unknown_sort_rejected(repos: Repositories) -> None:
    with pytest.raises(ValueError, match="unknown sort"):
        await repos.markets.get_all_latest(MarketFilter(sort="volume; DROP TABLE x"))  # type: ignore[arg-type]


async def test_market_metadata_round_trip(
    repos: Repositories, market: Callable[..., Market]
) -> None:
    m = market(
        "KXHIGHNY-26NOV20-B45.5",
        title="High temp in NYC",
        status="finalized",
        result="yes",
        settlement_value=Decimal("1.0000"),
        tick_size=Decimal("0.01"),
        price_level_structure="deci_cent",
        price_ranges=[
            PriceRange(start=Decimal("0.00"), end=Decimal("0.10"), step=Decimal("0.001")),
            PriceRange(start=Decimal("0.10"), end=Decimal("1.00"), step=Decimal("0.01")),
        ],
        is_mve=True,
        open_time=T0,
        close_time=T0 + timedelta(hours=5),
        settlement_ts=T0 + timedelta(hours=6),
        updated_at=T0,
    )
    assert await repos.markets.upsert_markets([m]) == 1
    got = await repos.markets.get_market(m.ticker)
    assert got == m
    # An older update never overwrites a newer one; a newer one does.
    stale = m.model_copy(update={"status": "active", "updated_at": T0 - timedelta(hours=1)})
    await repos.markets.upsert_markets([stale])
    got = await repos.markets.get_market(m.ticker)
    assert got is not None
    assert got.status == "finalized"
    fresh = m.model_copy(update={"title": "New title", "updated_at": T0 + timedelta(hours=1)})
    await repos.markets.upsert_markets([fresh])
    got = await repos.markets.get_market(m.ticker)
    assert got is not None
    assert got.title == "New title"
    assert await repos.markets.get_market("KXNOPE") is None


async def test_unfiltered_total_is_cached_briefly(
    db: Database, repos: Repositories, snap: Callable[..., MarketSnapshot]
) -> None:
    await repos.markets.save_many([snap("KXA-1", 0)])
    assert (await repos.markets.get_all_latest()).total == 1
    await repos.markets.save_many([snap("KXA-2", 0)])
    # Within the TTL the unfiltered total may lag; items and filtered totals never do.
    cached = await repos.markets.get_all_latest()
    assert len(cached.items) == 2
    assert cached.total in (1, 2)
    assert (await repos.markets.get_all_latest(MarketFilter(search="KXA"))).total == 2
    exact = PostgresMarketRepository(db, total_ttl_s=0)
    assert (await exact.get_all_latest()).total == 2


def test_json_reads_satisfy_their_protocol(db: Database) -> None:
    assert isinstance(PostgresJsonReads(db), JsonReadRepository)
