"""Contract: the official Kalshi SDK (kalshi-python-sync 3.34.0, strict pydantic models) pointed at
the simulator lists markets, events, series, trades, candlesticks and order books without errors.

The SDK is a test-only dependency installed by scripts/install-sdk.sh. Locally the test skips
without it; in CI (CI=true) a missing SDK is a failure, not a skip.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from kalshi_sim.config import SimConfig
from kalshi_sim.testing import SimServer, serve
from sim.conftest import START, pick_tickers
from tests.sim.recorded_files import FIXTURES, read_recording

NOW = int(START.timestamp())


def _sdk() -> ModuleType:
    try:
        return importlib.import_module("kalshi_python_sync")
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("kalshi-python-sync is not installed: run scripts/install-sdk.sh")
        pytest.skip("kalshi-python-sync not installed (scripts/install-sdk.sh installs it)")


@pytest.fixture(scope="module")
def sdk_apis(current_sim: SimServer) -> dict[str, Any]:
    k = _sdk()
    client = k.ApiClient(k.Configuration(host=current_sim.base_url))
    return {
        "market": k.MarketApi(client),
        "events": k.EventsApi(client),
        "historical": k.HistoricalApi(client),
        "exchange": k.ExchangeApi(client),
    }


@pytest.fixture(scope="module")
def tickers(current_sim: SimServer) -> dict[str, str]:
    with httpx.Client(base_url=current_sim.base_url, timeout=60) as c:
        return pick_tickers(c)


def test_sdk_lists_markets_with_pagination(sdk_apis: dict[str, Any]) -> None:
    market = sdk_apis["market"]
    first = market.get_markets(limit=200, status="open", mve_filter="exclude")
    assert len(first.markets) == 200
    assert first.cursor
    second = market.get_markets(limit=200, status="open", mve_filter="exclude", cursor=first.cursor)
    assert {m.ticker for m in first.markets}.isdisjoint({m.ticker for m in second.markets})
    combos = market.get_markets(limit=20, mve_filter="only")
    assert all(m.mve_collection_ticker for m in combos.markets)
    settled = market.get_markets(limit=50, status="settled")
    assert {m.status for m in settled.markets} == {"finalized"}


def test_sdk_reads_market_event_series(sdk_apis: dict[str, Any], tickers: dict[str, str]) -> None:
    market, events = sdk_apis["market"], sdk_apis["events"]
    m = market.get_market(tickers["market"]).market
    assert m.ticker == tickers["market"]
    assert m.settlement_bounds_type == "default"
    ev = events.get_event(tickers["event"], with_nested_markets=True)
    assert ev.event.event_ticker == tickers["event"]
    assert ev.event.markets
    page = events.get_events(limit=50, with_nested_markets=True, status="open")
    assert page.events
    assert market.get_series(tickers["series"]).series.ticker == tickers["series"]
    assert len(market.get_series_list().series) > 10


def test_sdk_reads_trades_candles_orderbook(
    sdk_apis: dict[str, Any], tickers: dict[str, str]
) -> None:
    market, hist = sdk_apis["market"], sdk_apis["historical"]
    trades = market.get_trades(ticker=tickers["market"], limit=100)
    assert trades.trades
    assert all(t.ticker == tickers["market"] for t in trades.trades)
    candles = market.get_market_candlesticks(
        tickers["series"], tickers["market"], start_ts=NOW - 86400, end_ts=NOW, period_interval=60
    )
    assert candles.candlesticks
    batch = market.batch_get_market_candlesticks(
        market_tickers=f"{tickers['market']},{tickers['combo']}",
        start_ts=NOW - 3600,
        end_ts=NOW,
        period_interval=1,
    )
    assert [x.market_ticker for x in batch.markets] == [tickers["market"], tickers["combo"]]
    book = market.get_market_orderbook(tickers["market"])
    assert book.orderbook_fp.yes_dollars or book.orderbook_fp.no_dollars
    books = market.get_market_orderbooks(tickers=[tickers["market"], tickers["combo"]])
    assert len(books.orderbooks) == 2
    assert hist.get_historical_cutoff().market_settled_ts
    hm = hist.get_historical_market(tickers["historical"]).market
    assert hm.status == "finalized"
    assert hist.get_historical_markets(limit=10).markets
    assert hist.get_trades_historical(ticker=tickers["historical"], limit=10).trades
    hc = hist.get_market_candlesticks_historical(
        tickers["historical"], start_ts=NOW - 120 * 86400, end_ts=NOW, period_interval=1440
    )
    assert hc.candlesticks
    assert sdk_apis["exchange"].get_exchange_status().exchange_active


@pytest.fixture(scope="module")
def recorded_sdk() -> Iterator[dict[str, Any]]:
    k = _sdk()
    cfg = SimConfig(recorded_dir=FIXTURES, recorded_datasets=("multi",), rate_limit_per_s=0)
    with serve(cfg) as server:
        client = k.ApiClient(k.Configuration(host=server.base_url))
        yield {"market": k.MarketApi(client), "historical": k.HistoricalApi(client), "k": k}


def test_sdk_reads_a_recorded_dataset(recorded_sdk: dict[str, Any]) -> None:
    """Recorded mode (real markets and tapes) passes the SDK's strict models for markets, events,
    series and trades; its candles lack the book, which the SDK requires, so it refuses them."""
    market, hist = recorded_sdk["market"], recorded_sdk["historical"]
    files = read_recording("multi")
    m = market.get_market("KXETHD-25NOV0911-T3519.99").market
    assert (m.status, m.result, m.last_price_dollars) == ("finalized", "no", "0.9800")
    trades = market.get_trades(ticker="KXALEAGUEGAME-25NOV09BRRNUJ-NUJ", limit=1000).trades
    old = hist.get_trades_historical(ticker="KXALEAGUEGAME-25NOV09BRRNUJ-NUJ", limit=1000).trades
    expected = files.trades_by_market()["KXALEAGUEGAME-25NOV09BRRNUJ-NUJ"]
    assert sorted(t.trade_id for t in trades + old) == sorted(t.trade_id for t in expected)
    settled = hist.get_historical_markets(limit=100).markets
    assert settled
    assert {x.status for x in settled} == {"finalized"}
    assert hist.get_historical_market(settled[0].ticker).market.result in ("yes", "no")
    assert market.get_series("KXETHD").series.ticker == "KXETHD"
    assert {x.status for x in market.get_markets(status="closed", limit=100).markets} == {
        "determined"
    }
    with pytest.raises(ValidationError, match="yes_bid"):
        market.get_market_candlesticks(
            "KXETHD",
            "KXETHD-25NOV0911-T3519.99",
            start_ts=1762700400,
            end_ts=1762704000,
            period_interval=60,
        )
