"""Contract: a market's series ticker, once known, is never erased by a listing that does not
name it (the catalogue scan), and markets stored before their event learn it from the event."""

import pytest

from kalshi_core.models import Event, Market
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.repositories import MarketFilter


@pytest.mark.usefixtures("clean_db")
async def test_series_ticker_survives_and_is_filled(repos: Repositories) -> None:
    known = Market(ticker="KXA-1-B1", event_ticker="KXA-1", series_ticker="KXA", status="active")
    orphan = Market(ticker="KXB-1-B1", event_ticker="KXB-1", status="active")
    await repos.markets.upsert_markets([known, orphan])
    # the catalogue listing does not carry the series
    await repos.markets.upsert_markets([known.model_copy(update={"series_ticker": None})])
    assert (await repos.markets.get_market("KXA-1-B1")).series_ticker == "KXA"  # type: ignore[union-attr]
    assert (await repos.markets.get_market("KXB-1-B1")).series_ticker is None  # type: ignore[union-attr]
    await repos.events.upsert_many([Event(event_ticker="KXB-1", series_ticker="KXB")])
    assert (await repos.markets.get_market("KXB-1-B1")).series_ticker == "KXB"  # type: ignore[union-attr]
    # a market first seen after its event takes the event's series
    await repos.markets.upsert_markets(
        [Market(ticker="KXB-1-B2", event_ticker="KXB-1", status="active")]
    )
    assert (await repos.markets.get_market("KXB-1-B2")).series_ticker == "KXB"  # type: ignore[union-attr]
    page = await repos.markets.get_all_latest(MarketFilter(series_ticker="KXB"))
    assert page.total == 0  # no quotes stored yet: market_latest holds quoted markets only
