"""Contract: `load_quotes` reads stored snapshots (or candles) and market/series/event metadata
through the repositories — real PostgreSQL, no mocks — and yields the same grid arrays the
frame builder gives, with fees from the series (event override first) and results as stored;
unknown tickers are refused, listed together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from kalshi_core.backtest import load_quotes, run_backtest
from kalshi_core.backtest.quotes import QuoteDataError
from kalshi_core.models import Candle, Event, IngestPoll, Market, MarketSnapshot, Series
from kalshi_core.storage.database import Database, Repositories

D = Decimal
T0 = (datetime.now(UTC) - timedelta(hours=3)).replace(second=0, microsecond=0)


def snap(ticker: str, minute: int, bid: str, ask: str, seq: int) -> MarketSnapshot:
    return MarketSnapshot(
        market_ticker=ticker,
        timestamp=T0 + timedelta(minutes=minute),
        sequence=seq,
        yes_bid=D(bid),
        yes_ask=D(ask),
        last_price=D(bid),
        yes_bid_size=D("12.00"),
        yes_ask_size=D("7.50"),
    )


async def seed(repos: Repositories) -> None:
    await repos.series.upsert_many(
        [Series(ticker="KXLOAD", fee_type="quadratic_with_maker_fees", fee_multiplier=D("0.5"))]
    )
    await repos.events.upsert_many(
        [
            Event(event_ticker="KXLOAD-A", series_ticker="KXLOAD"),
            Event(
                event_ticker="KXLOAD-B",
                series_ticker="KXLOAD",
                fee_type_override="quadratic",
                fee_multiplier_override=D(2),
            ),
        ]
    )
    await repos.markets.upsert_markets(
        [
            Market(
                ticker="KXLOAD-A-1",
                event_ticker="KXLOAD-A",
                series_ticker="KXLOAD",
                status="finalized",
                result="yes",
                close_time=T0 + timedelta(minutes=8),
                settlement_ts=T0 + timedelta(minutes=9),
                # known before the window: a close learned later is no signal input
                updated_at=T0 - timedelta(hours=1),
            ),
            Market(
                ticker="KXLOAD-B-1",
                event_ticker="KXLOAD-B",
                series_ticker="KXLOAD",
                status="active",
            ),
        ]
    )
    # the watchlist polls both markets every minute for 10 minutes (B from minute 1); A's
    # quote changes once, at minute 3: change-only storage keeps three rows
    for minute in range(10):
        tick = [snap("KXLOAD-A-1", minute, *(A_EARLY if minute < 3 else A_LATE), minute + 1)]
        if minute >= 1:
            tick.append(snap("KXLOAD-B-1", minute, "0.1000", "0.1300", minute + 1))
        await repos.markets.save_many(
            tick,
            poll=IngestPoll(
                tier="watchlist", tick=T0 + timedelta(minutes=minute), status="ok", interval_s=60
            ),
        )


A_EARLY = ("0.4000", "0.4200")
A_LATE = ("0.4500", "0.4700")


async def test_load_quotes_from_snapshots(repos: Repositories, clean_db: Database) -> None:
    await seed(repos)
    q = await load_quotes(
        repos, ["KXLOAD-A-1", "KXLOAD-B-1"], T0, T0 + timedelta(minutes=10),
        freq="1min", staleness="2min",
    )  # fmt: skip
    assert q.tickers == ("KXLOAD-A-1", "KXLOAD-B-1")
    assert q.data_source == "snapshots"
    # known for the whole window: the market was polled every minute, its quote unchanged
    # since minute 3 (a staleness limit of 2 minutes does not apply to covered snapshots)
    np.testing.assert_array_equal(q.bid[:, 0], [0.40, 0.40, 0.40, *[0.45] * 7])
    np.testing.assert_array_equal(q.bid[:, 1], [np.nan, *[0.10] * 9])
    assert q.ask_size[0, 0] == 7.5
    assert q.sizes_capped
    a, b = q.meta
    assert (a.result, a.fee_type, a.fee_multiplier) == (
        "yes",
        "quadratic_with_maker_fees",
        D("0.5"),
    )
    assert (b.result, b.fee_type, b.fee_multiplier) == (None, "quadratic", D(2))
    assert q.settle_idx[0] == 9
    assert q.close_idx[0] == 8
    res = run_backtest(q, "favourite", {"lo": "0.4", "hi": "0.5", "hours_to_close": 1})
    assert res.num_trades == 1
    assert res.trades[0].exit_reason == "settlement"
    assert res.trades[0].entry_price == D("0.42")  # signal at bar 0 fills at bar 1's ask


async def test_load_quotes_from_candles(repos: Repositories, clean_db: Database) -> None:
    await seed(repos)
    candle = Candle(
        ticker="KXLOAD-A-1", period_minutes=1, end_time=T0 + timedelta(minutes=2),
        yes_bid_open=D("0.3"), yes_bid_high=D("0.3"), yes_bid_low=D("0.3"),
        yes_bid_close=D("0.31"), yes_ask_open=D("0.33"), yes_ask_high=D("0.33"),
        yes_ask_low=D("0.33"), yes_ask_close=D("0.34"),
    )  # fmt: skip
    end = T0 + timedelta(minutes=5)
    await repos.history.replace_candles(["KXLOAD-A-1"], 1, T0 - timedelta(hours=1), end, [candle])
    q = await load_quotes(
        repos, ["KXLOAD-A-1"], T0, end, source="candles", freq="1min", staleness="1min"
    )
    np.testing.assert_array_equal(q.bid[:, 0], [np.nan, np.nan, 0.31, 0.31, np.nan])
    assert q.data_source == "candles"
    assert not q.sizes_capped


async def test_unknown_tickers_are_listed(repos: Repositories, clean_db: Database) -> None:
    await seed(repos)
    with pytest.raises(QuoteDataError, match="KXNOPE-1, KXNOPE-2"):
        await load_quotes(repos, ["KXLOAD-A-1", "KXNOPE-1", "KXNOPE-2"], T0, T0 + timedelta(1))
    with pytest.raises(QuoteDataError, match="empty universe"):
        await load_quotes(repos, [], T0, T0 + timedelta(1))
