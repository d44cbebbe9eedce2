"""Contract: the JSON the database renders for the API (`PostgresJsonReads`: a market, the markets
list, a market's history) is byte for byte what it was when quotes were stored as NUMERIC.

The expected bodies below were produced by the NUMERIC schema (before migration 0009) from the
same writes and pasted here; integer storage must not change a byte (trimmed numbers, no
exponent, no float). Model reads give the same values as Decimals, DataFrames as float(Decimal).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kalshi_core.models import Market, MarketSnapshot
from kalshi_core.storage.database import Database, Repositories
from kalshi_core.storage.postgres.json_reads import PostgresJsonReads
from kalshi_core.storage.repositories import MarketFilter

pytestmark = pytest.mark.usefixtures("clean_db")

T0 = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
TICKER = "KXPIN-26NOV-A"

# (bid, ask, last, bid_size, ask_size, volume, volume_24h, open_interest), oldest first
QUOTES: list[tuple[str, ...]] = [
    ("0.45", "0.4600", "0.4500", "123.45", "0.01", "1000000.00", "0", "500"),
    ("0.0001", "0.000001", "0", "0.00", "10", "123.45", "0.10", "7.5"),
    ("1", "1.000000", "0.999999", "1", "2.50", "98765432109876.50", "12.34", "0.00"),
    ("0", "0.5650", "0.123456", "92233720368547758.07", "3", "0", "1", "2"),
    ("0.10", "0.20", "0.15", "0.5", "1.00", "40", "400.40", "4"),
]


def _snapshot(k: int, quote: tuple[str, ...]) -> MarketSnapshot:
    fields = dict(
        zip(
            (
                "yes_bid",
                "yes_ask",
                "last_price",
                "yes_bid_size",
                "yes_ask_size",
                "volume",
                "volume_24h",
                "open_interest",
            ),
            map(Decimal, quote),
            strict=True,
        )
    )
    return MarketSnapshot(
        market_ticker=TICKER,
        timestamp=T0 + timedelta(seconds=5 * k),
        source="websocket" if k % 2 else "rest",
        sequence=1000 + k,
        **fields,
    )


async def _store(repos: Repositories) -> list[MarketSnapshot]:
    await repos.markets.upsert_markets(
        [
            Market(
                ticker=TICKER,
                event_ticker="KXPIN-26NOV",
                series_ticker="KXPIN",
                title="Pinned output",
                status="active",
                close_time=T0 + timedelta(days=1),
            )
        ]
    )
    snaps = [_snapshot(k, q) for k, q in enumerate(QUOTES)]
    for s in snaps:
        await repos.markets.save_many([s])
    return snaps


HISTORY = (
    '[{"market_ticker":"KXPIN-26NOV-A","timestamp":"2026-11-20T12:00:20Z","source":"rest",'
    '"sequence":1004,"yes_bid":0.1,"yes_ask":0.2,"last_price":0.15,"yes_bid_size":0.5,'
    '"yes_ask_size":1,"volume":40,"volume_24h":400.4,"open_interest":4,"yes_price":0.15,'
    '"no_price":0.85,"no_bid":0.8,"no_ask":0.9},'
    '{"market_ticker":"KXPIN-26NOV-A","timestamp":"2026-11-20T12:00:15Z","source":"websocket",'
    '"sequence":1003,"yes_bid":0,"yes_ask":0.565,"last_price":0.123456,'
    '"yes_bid_size":92233720368547758.07,"yes_ask_size":3,"volume":0,"volume_24h":1,'
    '"open_interest":2,"yes_price":0.123456,"no_price":0.876544,"no_bid":0.435,"no_ask":1},'
    '{"market_ticker":"KXPIN-26NOV-A","timestamp":"2026-11-20T12:00:10Z","source":"rest",'
    '"sequence":1002,"yes_bid":1,"yes_ask":1,"last_price":0.999999,"yes_bid_size":1,'
    '"yes_ask_size":2.5,"volume":98765432109876.5,"volume_24h":12.34,"open_interest":0,'
    '"yes_price":0.999999,"no_price":0.000001,"no_bid":0,"no_ask":0},'
    '{"market_ticker":"KXPIN-26NOV-A","timestamp":"2026-11-20T12:00:05Z","source":"websocket",'
    '"sequence":1001,"yes_bid":0.0001,"yes_ask":0.000001,"last_price":0,"yes_bid_size":0,'
    '"yes_ask_size":10,"volume":123.45,"volume_24h":0.1,"open_interest":7.5,"yes_price":0,'
    '"no_price":1,"no_bid":0.999999,"no_ask":0.9999},'
    '{"market_ticker":"KXPIN-26NOV-A","timestamp":"2026-11-20T12:00:00Z","source":"rest",'
    '"sequence":1000,"yes_bid":0.45,"yes_ask":0.46,"last_price":0.45,"yes_bid_size":123.45,'
    '"yes_ask_size":0.01,"volume":1000000,"volume_24h":0,"open_interest":500,"yes_price":0.455,'
    '"no_price":0.545,"no_bid":0.54,"no_ask":0.55}]'
)
MARKET = (
    '{"market_ticker":"KXPIN-26NOV-A","timestamp":"2026-11-20T12:00:20Z","source":"rest",'
    '"sequence":1004,"yes_bid":0.1,"yes_ask":0.2,"last_price":0.15,"yes_bid_size":0.5,'
    '"yes_ask_size":1,"volume":40,"volume_24h":400.4,"open_interest":4,"status":"active",'
    '"title":"Pinned output","event_ticker":"KXPIN-26NOV","series_ticker":"KXPIN",'
    '"close_time":"2026-11-21T12:00:00Z","changed_at":"2026-11-20T12:00:20Z","yes_price":0.15,'
    '"no_price":0.85,"no_bid":0.8,"no_ask":0.9}'
)


async def test_json_bodies_are_unchanged(db: Database, repos: Repositories) -> None:
    await _store(repos)
    reads = PostgresJsonReads(db)
    assert await reads.history(TICKER, 500) == HISTORY
    assert await reads.market(TICKER) == MARKET
    assert await reads.markets(MarketFilter(), 10, 0) == (f"[{MARKET}]", 1)


async def test_model_and_frame_reads_give_the_written_values(repos: Repositories) -> None:
    snaps = await _store(repos)
    history = await repos.markets.get_history(TICKER)
    assert [h.quote_key() for h in reversed(history)] == [s.quote_key() for s in snaps]
    assert all(type(v) is Decimal for h in history for v in h.quote_key())
    latest = await repos.markets.get_latest(TICKER)
    assert latest is not None
    assert latest.snapshot.quote_key() == snaps[-1].quote_key()
    frame = await repos.markets.snapshot_frame([TICKER])
    for column in ("yes_bid", "yes_ask", "last_price", "yes_bid_size", "volume", "open_interest"):
        assert frame[column].tolist() == [float(getattr(s, column)) for s in snaps], column
    seeded = await repos.markets.snapshot_frame([TICKER], T0 + timedelta(seconds=12), as_of=True)
    assert seeded["yes_ask"].tolist() == [
        float(snaps[2].yes_ask),
        *[float(s.yes_ask) for s in snaps[3:]],
    ]
