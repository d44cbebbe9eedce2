"""Contract: series and event metadata on real PostgreSQL: exact round trips (Decimal fee
multipliers, overrides, tags), upserts where an older `updated_at` never wins, paged listings
with totals, and an event's markets (placeholders excluded).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kalshi_core.models import Event, Market, MarketSnapshot, Series
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.repositories import EventRepository, SeriesRepository

pytestmark = pytest.mark.usefixtures("clean_db")

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_satisfy_protocols(repos: Repositories) -> None:
    assert isinstance(repos.series, SeriesRepository)
    assert isinstance(repos.events, EventRepository)


async def test_series_round_trip_and_upsert(repos: Repositories) -> None:
    s = Series(
        ticker="KXFED",
        title="Fed",
        category="Economics",
        frequency="monthly",
        fee_type="quadratic_with_maker_fees",
        fee_multiplier=Decimal("0.5"),
        tags=["rates", "fed"],
        updated_at=T0,
    )
    other = Series(ticker="KXCPI", title="CPI")
    assert await repos.series.upsert_many([s, other]) == 2
    assert await repos.series.get("KXFED") == s
    await repos.series.upsert_many(
        [s.model_copy(update={"title": "old", "updated_at": T0 - timedelta(1)})]
    )
    got = await repos.series.get("KXFED")
    assert got is not None
    assert got.title == "Fed"
    page = await repos.series.list(limit=1)
    assert [x.ticker for x in page.items] == ["KXCPI"]
    assert page.total == 2
    assert await repos.series.get("KXNOPE") is None


async def test_events_and_their_markets(
    repos: Repositories, market: Callable[..., Market], snap: Callable[..., MarketSnapshot]
) -> None:
    e1 = Event(
        event_ticker="KXFED-26DEC",
        series_ticker="KXFED",
        title="Dec meeting",
        mutually_exclusive=True,
        strike_date=T0,
        fee_type_override="quadratic",
        fee_multiplier_override=Decimal("0.25"),
        updated_at=T0,
    )
    e2 = Event(event_ticker="KXCPI-26NOV", series_ticker="KXCPI")
    assert await repos.events.upsert_many([e1, e2]) == 2
    assert await repos.events.get("KXFED-26DEC") == e1
    page = await repos.events.list(series_ticker="KXFED")
    assert [e.event_ticker for e in page.items] == ["KXFED-26DEC"]
    assert page.total == 1
    assert (await repos.events.list()).total == 2
    await repos.markets.upsert_markets([market("KXFED-26DEC-T4.25"), market("KXFED-26DEC-T4.00")])
    await repos.markets.save_many([snap("KXFED-26DEC-PLACEHOLDER", 0)])
    markets = await repos.events.markets_of("KXFED-26DEC")
    assert [m.ticker for m in markets] == ["KXFED-26DEC-T4.00", "KXFED-26DEC-T4.25"]
    assert await repos.events.markets_of("KXNOPE") == []
