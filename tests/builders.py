"""Test-data builders shared by test areas: snapshots, markets and candles with exact Decimal
fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from kalshi_core.models import Candle, Market, MarketSnapshot

T0 = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


def _d(v: Any) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(str(v))


def build_snapshot(
    ticker: str = "KXTEST-26NOV-A",
    ts: datetime | int = 0,
    bid: Any = "0.4500",
    ask: Any = "0.5600",
    last: Any = "0.5000",
    *,
    bid_size: Any = "10.00",
    ask_size: Any = "20.00",
    volume: Any = "1000.00",
    volume_24h: Any = "100.00",
    open_interest: Any = "500.00",
    source: str = "rest",
    sequence: int = 1,
) -> MarketSnapshot:
    """`ts` as int = seconds after T0."""
    when = T0 + timedelta(seconds=ts) if isinstance(ts, int) else ts
    return MarketSnapshot(
        market_ticker=ticker,
        timestamp=when,
        source=source,
        sequence=sequence,
        yes_bid=_d(bid),
        yes_ask=_d(ask),
        last_price=_d(last),
        yes_bid_size=_d(bid_size),
        yes_ask_size=_d(ask_size),
        volume=_d(volume),
        volume_24h=_d(volume_24h),
        open_interest=_d(open_interest),
    )


def build_market(ticker: str, **kw: Any) -> Market:
    fields: dict[str, Any] = {
        "event_ticker": ticker.rsplit("-", 1)[0],
        "series_ticker": ticker.split("-", 1)[0],
        "title": f"Title of {ticker}",
        "status": "active",
    }
    fields.update(kw)
    return Market(ticker=ticker, **fields)


def build_candle(ticker: str, end: datetime, **kw: Any) -> Candle:
    """A candle with its book, trade prices of 0.44 and volume; `kw` overrides any field
    (strings and numbers are read as exact Decimals)."""
    fields: dict[str, Any] = {
        "period_minutes": 60,
        "yes_bid_open": "0.40",
        "yes_bid_high": "0.50",
        "yes_bid_low": "0.39",
        "yes_bid_close": "0.4500",
        "yes_ask_open": "0.42",
        "yes_ask_high": "0.52",
        "yes_ask_low": "0.41",
        "yes_ask_close": "0.47",
        **{f"price_{part}": "0.4400" for part in ("open", "high", "low", "close")},
        "volume": "1234.00",
        "open_interest": "99.00",
    }
    fields.update(kw)
    values = {k: v if k == "period_minutes" or v is None else _d(v) for k, v in fields.items()}
    return Candle(ticker=ticker, end_time=end, **values)
