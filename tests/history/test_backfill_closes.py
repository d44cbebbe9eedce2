"""Contract: the history backfill records from when each backfilled market's close was known
(`kalshi_core.closes`), against the simulator and a real PostgreSQL.

The backfilled history reaches back before we stored the market. KXHIGHNY markets cannot close
early (`can_close_early` false, as Kalshi serves them), so after the backfill every one's close
is known from its open on: each bar of the backfilled tape can read it. A market observed before
its open keeps the history it had, and a second run adds nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kalshi_core.history import HistoryBackfill
from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.storage.database import Database, Repositories
from tests.history.conftest import END_DAY, FIRST_DAY, UNIVERSE

pytestmark = pytest.mark.timeout(900)


async def test_backfilled_scheduled_closes_are_known_from_the_open(
    client: KalshiClient, repos: Repositories, clean_db: Database
) -> None:
    # one open market stored before its open, as live polling would have: its history is ours
    listing = await client.get_markets(series_ticker="KXHIGHNY", status="open")
    observed = listing.items[0].market
    assert observed.open_time is not None
    assert observed.close_time is not None
    seen = observed.open_time - timedelta(hours=1)
    await repos.markets.upsert_markets([observed.model_copy(update={"updated_at": seen})])

    runner = HistoryBackfill(client, repos.history, markets=repos.markets)
    report = await runner.trades(UNIVERSE, FIRST_DAY, END_DAY)
    assert report.markets > 1
    assert report.closes_known_from_open > 0
    assert report.metadata()["closes_known_from_open"] == report.closes_known_from_open

    async with clean_db.acquire() as conn:
        tickers = [
            r[0] for r in await conn.fetch("SELECT DISTINCT ticker FROM market_trades ORDER BY 1")
        ]
    assert len(tickers) > 1
    history = await repos.markets.close_time_history(tickers)
    for ticker in tickers:
        market = await repos.markets.get_market(ticker)
        assert market is not None
        assert market.open_time is not None
        assert market.can_close_early is False
        (first, close), *_ = history[ticker]
        assert first <= market.open_time, ticker  # every bar from the open knows the close
        assert close == market.close_time, ticker
    kept = await repos.markets.close_time_history([observed.ticker])
    assert kept == {observed.ticker: [(seen, observed.close_time)]}

    before = {t: history[t] for t in tickers}
    again = await runner.trades(UNIVERSE, FIRST_DAY, END_DAY)
    assert (again.closes_known_from_open, again.closes_known_at_close) == (0, 0)
    assert await repos.markets.close_time_history(tickers) == before
