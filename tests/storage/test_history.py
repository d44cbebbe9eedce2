"""Contract: `HistoryRepository` (backfilled trades and candles) on real PostgreSQL: a window is
replaced atomically and idempotently (running a backfill partition twice leaves the same rows),
rows outside the window are rejected before anything changes, reads are oldest first, and the
backtest frames are float64 with UTC times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kalshi_core.models import Candle, Trade
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.repositories import HistoryRepository
from tests.builders import build_candle

pytestmark = pytest.mark.usefixtures("clean_db")

D0 = datetime(2026, 9, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def _trade(i: int, ticker: str = "KXA-1", minutes: int = 0, price: str = "0.5600") -> Trade:
    return Trade(
        trade_id=f"t-{ticker}-{i}",
        ticker=ticker,
        created_time=D0 + timedelta(minutes=minutes),
        yes_price=Decimal(price),
        count=Decimal("12.50"),
        taker_side="yes" if i % 2 else "no",
    )


def _candle(ticker: str, hour: int, close: str = "0.4500", price: str | None = "0.4400") -> Candle:
    prices = {f"price_{part}": price for part in ("open", "high", "low", "close")}
    return build_candle(ticker, D0 + timedelta(hours=hour), yes_bid_close=close, **prices)


def test_satisfies_protocol(repos: Repositories) -> None:
    assert isinstance(repos.history, HistoryRepository)


async def test_replace_trades_idempotent(repos: Repositories) -> None:
    trades = [_trade(i, minutes=i) for i in range(5)] + [_trade(9, "KXB-1", 3, "0.123456")]
    assert await repos.history.replace_trades(["KXA-1", "KXB-1"], D0, D0 + DAY, trades) == 6
    assert await repos.history.replace_trades(["KXA-1", "KXB-1"], D0, D0 + DAY, trades) == 6
    got = await repos.history.get_trades("KXA-1")
    assert got == trades[:5]
    [b] = await repos.history.get_trades("KXB-1")
    assert b.yes_price == Decimal("0.123456")
    # A smaller rewrite of the window removes what the source no longer has.
    await repos.history.replace_trades(["KXA-1"], D0, D0 + DAY, trades[:2])
    assert await repos.history.get_trades("KXA-1") == trades[:2]
    assert len(await repos.history.get_trades("KXB-1")) == 1  # other tickers untouched
    window = await repos.history.get_trades("KXA-1", D0 + timedelta(minutes=1), D0 + DAY)
    assert window == trades[1:2]


async def test_replace_rejects_rows_outside_window(repos: Repositories) -> None:
    await repos.history.replace_trades(["KXA-1"], D0, D0 + DAY, [_trade(1)])
    outside = _trade(2, minutes=60 * 25)
    with pytest.raises(ValueError, match="outside the window"):
        await repos.history.replace_trades(["KXA-1"], D0, D0 + DAY, [_trade(3), outside])
    with pytest.raises(ValueError, match="outside the window"):
        await repos.history.replace_trades(["KXZ-1"], D0, D0 + DAY, [_trade(4)])
    with pytest.raises(ValueError, match="empty window"):
        await repos.history.replace_trades(["KXA-1"], D0, D0, [])
    assert await repos.history.get_trades("KXA-1") == [_trade(1)]


async def test_candles_and_frame(repos: Repositories) -> None:
    candles = [_candle("KXA-1", h) for h in range(1, 4)] + [_candle("KXB-1", 2, "0.10", None)]
    assert await repos.history.replace_candles(["KXA-1", "KXB-1"], 60, D0, D0 + DAY, candles) == 4
    assert await repos.history.replace_candles(["KXA-1", "KXB-1"], 60, D0, D0 + DAY, candles) == 4
    assert await repos.history.get_candles("KXA-1", 60) == candles[:3]
    assert await repos.history.get_candles("KXA-1", 1) == []
    [b] = await repos.history.get_candles("KXB-1", 60)
    assert b.price_close is None
    frame = await repos.history.candle_frame(["KXA-1", "KXB-1"], 60, D0, D0 + DAY)
    assert list(frame.columns) == [
        "market_ticker",
        "end_time",
        "yes_bid_close",
        "yes_ask_close",
        "price_close",
        "volume",
        "open_interest",
    ]
    assert list(frame["market_ticker"]) == ["KXA-1", "KXA-1", "KXB-1", "KXA-1"]
    assert str(frame["end_time"].dt.tz) == "UTC"
    assert frame["yes_bid_close"].tolist() == [0.45, 0.45, 0.10, 0.45]
    assert frame["price_close"].isna().tolist() == [False, False, True, False]
    assert frame["volume"].dtype == "float64"
    with pytest.raises(ValueError, match="outside the window"):
        await repos.history.replace_candles(["KXA-1"], 1, D0, D0 + DAY, candles[:1])
