"""Contract: when a stored quote counts as known to a backtest (issue 11.1, 11.3).

Storage is change-only, so "no new row" means "unchanged" while the tier covering the market
kept observing it. These tests poll through `save_many` with real poll records on real
PostgreSQL and read back through `load_quotes`:
- a quote unchanged for hours, with every poll ok, stays known (and fills);
- a market whose last change is before the backtest window still has its quote;
- a poll gap (missed ticks) blanks exactly the gap, and a market absent from ok scans is unknown;
- snapshots carry when their page arrived, and the quote is not known before that.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from kalshi_core.backtest import load_quotes
from kalshi_core.backtest.engine import backtest_signals
from kalshi_core.backtest.strategies import Signals
from kalshi_core.models import IngestPoll, Market, MarketSnapshot
from kalshi_core.storage.database import Database, Repositories

D = Decimal
T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
STEP = timedelta(seconds=60)  # the tier's grid in these tests
LATENCY = timedelta(milliseconds=300)  # when each tick's page "arrived"

pytestmark = pytest.mark.usefixtures("clean_db")


def quote(ticker: str, at: datetime, bid: str = "0.4000", ask: str = "0.4200") -> MarketSnapshot:
    return MarketSnapshot(
        market_ticker=ticker,
        timestamp=at,
        sequence=int(at.timestamp() * 1000),
        yes_bid=D(bid),
        yes_ask=D(ask),
        last_price=D(bid),
        yes_bid_size=D("50.00"),
        yes_ask_size=D("50.00"),
    )


async def poll(
    repos: Repositories,
    start: datetime,
    ticks: int,
    tickers: tuple[str, ...],
    *,
    skip: range = range(0),
) -> None:
    """`ticks` ok polls of the watchlist tier from `start`, every market with an unchanged
    quote; tick numbers in `skip` are not polled at all (a gap)."""
    for k in range(ticks):
        tick = start + k * STEP
        if k in skip:
            continue
        await repos.markets.save_many(
            [quote(t, tick + LATENCY) for t in tickers],
            poll=IngestPoll(tier="watchlist", tick=tick, status="ok", interval_s=60),
        )


async def markets(repos: Repositories, *tickers: str) -> None:
    await repos.markets.upsert_markets(
        [
            Market(ticker=t, event_ticker="KXQ-A", series_ticker="KXQ", status="active")
            for t in tickers
        ]
    )


async def test_quote_unchanged_for_hours_with_every_poll_ok_fills_at_hour_two(
    repos: Repositories,
) -> None:
    await markets(repos, "KXQ-A-1")
    await poll(repos, T0, 180, ("KXQ-A-1",))  # 3 h, one row stored (the first observation)
    start = T0 + timedelta(hours=2)
    q = await load_quotes(repos, ["KXQ-A-1"], start, T0 + timedelta(hours=3), freq="1min")
    # the last change is two hours before the window: the quote is still the one in force
    assert np.all(q.ask[:, 0] == 0.42)
    entries = np.zeros((q.n_bars, 1), dtype=np.bool_)
    entries[0, 0] = True
    result = backtest_signals(
        q,
        Signals(entries=entries, exits=np.zeros_like(entries), contracts=D(10)),
        fill_delay_bars=0,
    )
    assert result.num_trades == 1
    assert result.trades[0].entry_time == start
    assert result.trades[0].entry_price == D("0.42")


async def test_poll_gap_blanks_exactly_the_gap(repos: Repositories) -> None:
    await markets(repos, "KXQ-A-1")
    # ticks 30..39 (10 minutes) missed entirely
    await poll(repos, T0, 60, ("KXQ-A-1",), skip=range(30, 40))
    q = await load_quotes(repos, ["KXQ-A-1"], T0, T0 + timedelta(hours=1), freq="1min")
    known = np.isfinite(q.ask[:, 0])
    # bar 0 is before the first answer arrived (T0 + 300 ms): unknown
    assert not known[0]
    assert known[1:30].all()
    assert not known[30:41].any()  # tick 40's page arrives 300 ms after bar 40
    assert known[41:].all()
    # the mark (valuation only) is never blanked
    assert np.isfinite(q.mark[1:, 0]).all()


async def test_market_absent_from_ok_scans_is_unknown(repos: Repositories) -> None:
    await markets(repos, "KXQ-A-1", "KXQ-A-2")
    await poll(repos, T0, 20, ("KXQ-A-1", "KXQ-A-2"))
    await poll(repos, T0 + 20 * STEP, 20, ("KXQ-A-1",))  # A-2 left the scan (ticks still ok)
    q = await load_quotes(repos, ["KXQ-A-1", "KXQ-A-2"], T0 + STEP, T0 + 40 * STEP, freq="1min")
    assert np.isfinite(q.ask[:, 0]).all()
    assert np.isfinite(q.ask[:19, 1]).all()
    assert not np.isfinite(q.ask[19:, 1]).any()


async def test_quote_is_not_known_before_its_page_arrived(
    repos: Repositories, db: Database
) -> None:
    await markets(repos, "KXQ-A-1")
    await poll(repos, T0, 5, ("KXQ-A-1",))
    async with db.acquire() as conn:
        stamps = await conn.fetch("SELECT observed_at FROM market_snapshots")
    assert [r["observed_at"] for r in stamps] == [T0 + LATENCY]
    q = await load_quotes(repos, ["KXQ-A-1"], T0, T0 + 5 * STEP, freq="100ms")
    assert not np.isfinite(q.ask[:3, 0]).any()  # T0, +100 ms, +200 ms
    assert np.isfinite(q.ask[3:, 0]).all()


async def test_data_without_coverage_falls_back_to_the_staleness_limit(
    repos: Repositories,
) -> None:
    await markets(repos, "KXQ-A-1")
    await repos.markets.save_many([quote("KXQ-A-1", T0)])  # no poll: nothing says it was seen
    q = await load_quotes(
        repos, ["KXQ-A-1"], T0, T0 + timedelta(minutes=10), freq="1min", staleness="3min"
    )
    np.testing.assert_array_equal(np.isfinite(q.ask[:, 0]), [True] * 4 + [False] * 6)
