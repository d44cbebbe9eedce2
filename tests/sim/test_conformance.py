"""Contract: every simulator endpoint answers in Kalshi's wire shapes.

Current format: each response validates against the OpenAPI 3.13 component schemas and the
3.34 field reference (required fields, types, enums, 4-dp dollar and 2-dp count strings).
Legacy format: markets and candlesticks carry every key of the real 2025 samples with the same
JSON types (integer cents next to *_dollars). Errors use Kalshi's error envelope.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sim.conftest import START, pick_tickers
from sim.spec import legacy_errors, openapi_errors, reference_errors, sample

NOW = int(START.timestamp())


def _check(body: dict[str, Any], openapi: str, model: str) -> None:
    errors = openapi_errors(body, openapi) + reference_errors(body, model)
    assert not errors, errors[:20]


def test_markets_list_all_statuses_conform(client: httpx.Client) -> None:
    seen = set()
    for status in ("open", "closed", "settled", "unopened"):
        body = client.get("/markets", params={"status": status, "limit": 200}).json()
        _check(body, "GetMarketsResponse", "GetMarketsResponse")
        seen |= {m["status"] for m in body["markets"]}
    combos = client.get("/markets", params={"mve_filter": "only", "limit": 50}).json()
    _check(combos, "GetMarketsResponse", "GetMarketsResponse")
    assert all(m["mve_selected_legs"] for m in combos["markets"])
    assert {"active", "finalized", "initialized"} <= seen


def test_single_market_event_series_conform(client: httpx.Client) -> None:
    t = pick_tickers(client)
    _check(client.get(f"/markets/{t['market']}").json(), "GetMarketResponse", "GetMarketResponse")
    _check(client.get(f"/markets/{t['combo']}").json(), "GetMarketResponse", "GetMarketResponse")
    for nested in ("false", "true"):
        body = client.get(f"/events/{t['event']}", params={"with_nested_markets": nested}).json()
        _check(body, "GetEventResponse", "GetEventResponse")
        assert body["markets"], "an event lists its markets"
        if nested == "true":
            assert body["event"]["markets"] == body["markets"]
        else:
            assert body["event"]["markets"] is None
        events = client.get("/events", params={"with_nested_markets": nested, "limit": 20}).json()
        _check(events, "GetEventsResponse", "GetEventsResponse")
    _check(client.get(f"/series/{t['series']}").json(), "GetSeriesResponse", "GetSeriesResponse")
    _check(client.get("/series").json(), "GetSeriesListResponse", "GetSeriesListResponse")


def _check_levels(side: list[list[str]], where: str) -> list[tuple[Decimal, Decimal]]:
    """A non-empty book side (its JSON types are `_check`'s job): [price, size] pairs, 4-dp
    dollar prices strictly inside (0, 1) in strictly ascending order (Kalshi lists the best bid
    last), positive 2-dp sizes."""
    assert side, f"{where}: no levels"
    levels = []
    for level in side:
        assert len(level) == 2, f"{where}: {level}"
        price, size = level
        assert re.fullmatch(r"\d\.\d{4}", price), f"{where}: {level}"
        assert re.fullmatch(r"\d+\.\d{2}", size), f"{where}: {level}"
        levels.append((Decimal(price), Decimal(size)))
    prices = [p for p, _ in levels]
    assert all(0 < p < 1 for p in prices), f"{where}: {prices}"
    assert prices == sorted(set(prices)), f"{where}: not strictly ascending {prices}"
    assert all(q > 0 for _, q in levels), f"{where}: {levels}"
    return levels


def _check_book(book: dict[str, Any], where: str) -> None:
    yes = _check_levels(book["yes_dollars"], f"{where} yes")
    no = _check_levels(book["no_dollars"], f"{where} no")
    # the best YES bid and the best NO bid (= 1 - best YES ask) never cross
    assert yes[-1][0] + no[-1][0] < 1, f"{where}: crossed book {yes[-1]} / {no[-1]}"


def test_orderbooks_conform(client: httpx.Client) -> None:
    t = pick_tickers(client)
    full = client.get(f"/markets/{t['market']}/orderbook", params={"depth": 0}).json()
    _check(full, "GetMarketOrderbookResponse", "GetMarketOrderbookResponse")
    _check_book(full["orderbook_fp"], t["market"])
    top = client.get(f"/markets/{t['market']}/orderbook", params={"depth": 3}).json()
    _check(top, "GetMarketOrderbookResponse", "GetMarketOrderbookResponse")
    _check_book(top["orderbook_fp"], f"{t['market']} depth 3")
    for side in ("yes_dollars", "no_dollars"):
        assert len(full["orderbook_fp"][side]) > 3, "the traded market's book is deeper than 3"
        assert top["orderbook_fp"][side] == full["orderbook_fp"][side][-3:]  # the best 3

    tickers = [t["market"], t["combo"]]
    body = client.get("/markets/orderbooks", params={"tickers": tickers}).json()
    _check(body, "GetMarketOrderbooksResponse", "GetMarketOrderbooksResponse")
    assert [b["ticker"] for b in body["orderbooks"]] == tickers
    for b in body["orderbooks"]:
        _check_book(b["orderbook_fp"], b["ticker"])
    assert body["orderbooks"][0]["orderbook_fp"] == full["orderbook_fp"]


def test_trades_conform(client: httpx.Client) -> None:
    t = pick_tickers(client)
    body = client.get("/markets/trades", params={"ticker": t["market"], "limit": 100}).json()
    assert body["trades"], "a traded market has trades"
    _check(body, "GetTradesResponse", "GetTradesResponse")
    feed = client.get("/markets/trades", params={"limit": 50}).json()
    assert len(feed["trades"]) == 50
    _check(feed, "GetTradesResponse", "GetTradesResponse")
    hist = client.get("/historical/trades", params={"ticker": t["historical"], "limit": 20}).json()
    assert hist["trades"]
    _check(hist, "GetTradesResponse", "GetTradesResponse")


@pytest.mark.parametrize("period", [1, 60, 1440])
def test_candlesticks_conform(client: httpx.Client, period: int) -> None:
    t = pick_tickers(client)
    span = {1: 3 * 3600, 60: 3 * 86400, 1440: 20 * 86400}[period]
    params = {"start_ts": NOW - span, "end_ts": NOW, "period_interval": period}
    body = client.get(
        f"/series/{t['series']}/markets/{t['market']}/candlesticks", params=params
    ).json()
    assert body["candlesticks"]
    _check(body, "GetMarketCandlesticksResponse", "GetMarketCandlesticksResponse")
    batch = client.get(
        "/markets/candlesticks", params={**params, "market_tickers": f"{t['market']},{t['combo']}"}
    ).json()
    _check(batch, "BatchGetMarketCandlesticksResponse", "BatchGetMarketCandlesticksResponse")
    hist = client.get(
        f"/historical/markets/{t['historical']}/candlesticks",
        params={
            "start_ts": NOW - 120 * 86400,
            "end_ts": NOW,
            "period_interval": period if period != 1 else 60,
        },
    ).json()
    assert hist["candlesticks"]
    _check(
        hist, "GetMarketCandlesticksHistoricalResponse", "GetMarketCandlesticksHistoricalResponse"
    )


def test_historical_and_exchange_conform(client: httpx.Client) -> None:
    t = pick_tickers(client)
    _check(
        client.get("/historical/cutoff").json(),
        "GetHistoricalCutoffResponse",
        "GetHistoricalCutoffResponse",
    )
    body = client.get("/historical/markets", params={"limit": 100}).json()
    _check(body, "GetMarketsResponse", "GetMarketsResponse")
    assert {m["status"] for m in body["markets"]} == {"finalized"}
    _check(
        client.get(f"/historical/markets/{t['historical']}").json(),
        "GetMarketResponse",
        "GetMarketResponse",
    )
    _check(client.get("/exchange/status").json(), "ExchangeStatus", "ExchangeStatus")


def test_errors_use_kalshi_envelope(client: httpx.Client) -> None:
    t = pick_tickers(client)
    cases = [
        ("/markets/NOPE-1", {}, 404),
        ("/events/NOPE", {}, 404),
        ("/series/NOPE", {}, 404),
        ("/markets/NOPE/orderbook", {}, 404),
        (f"/markets/{t['historical']}", {}, 404),
        (f"/historical/markets/{t['market']}", {}, 404),
        ("/markets", {"limit": 1001}, 400),
        ("/markets", {"limit": "x"}, 400),
        ("/markets", {"status": "active"}, 400),
        ("/markets", {"mve_filter": "sometimes"}, 400),
        ("/markets", {"cursor": "!!not-a-cursor"}, 400),
        (
            f"/series/{t['series']}/markets/{t['market']}/candlesticks",
            {"start_ts": NOW - 60, "end_ts": NOW, "period_interval": 5},
            400,
        ),
        (f"/series/{t['series']}/markets/{t['market']}/candlesticks", {}, 400),
        ("/no/such/route", {}, 404),
    ]
    for path, params, status in cases:
        r = client.get(path, params=params)
        assert r.status_code == status, (path, params, r.text)
        body = r.json()
        assert set(body) == {"error"}
        assert not openapi_errors(body["error"], "ErrorResponse")
        assert not reference_errors(body["error"], "ErrorResponse")
        assert body["error"]["code"]
        assert body["error"]["message"]


def test_legacy_markets_match_the_2025_sample(legacy_client: httpx.Client) -> None:
    samples = sample("markets_list_2025-10-31_legacy_plus_dollars.json")
    by_status: dict[str, list[dict[str, Any]]] = {}
    for s in samples:
        by_status.setdefault(s["status"], []).append(s)
    for query, status in (("open", "active"), ("settled", "finalized"), ("closed", "closed")):
        body = legacy_client.get("/markets", params={"status": query, "limit": 100}).json()
        assert body["markets"], query
        for m in body["markets"]:
            errs = legacy_errors(m, by_status[status])
            assert not errs, (m["ticker"], errs)
            assert "volume_fp" not in m
            assert "settlement_bounds_type" not in m
            assert m["yes_bid_dollars"] == f"{m['yes_bid'] / 100:.4f}"
            assert m["no_ask"] == 100 - m["yes_bid"]


def test_legacy_candles_trades_books(legacy_client: httpx.Client) -> None:
    t = pick_tickers(legacy_client)
    candle_sample = sample("candlesticks_KXNYKCOACH-25-MNORI_2025_legacy_plus_dollars.json")
    body = legacy_client.get(
        f"/series/{t['series']}/markets/{t['market']}/candlesticks",
        params={"start_ts": NOW - 10 * 86400, "end_ts": NOW, "period_interval": 1440},
    ).json()
    assert body["candlesticks"]
    for c in body["candlesticks"]:
        errs = legacy_errors(c, candle_sample["candlesticks"])
        assert not errs, errs
    trades = legacy_client.get("/markets/trades", params={"ticker": t["market"]}).json()
    for tr in trades["trades"]:
        assert isinstance(tr["count"], int)
        assert isinstance(tr["yes_price"], int)
        assert tr["yes_price_dollars"] == f"{tr['yes_price'] / 100:.4f}"
        assert tr["yes_price"] + tr["no_price"] == 100
    book = legacy_client.get(f"/markets/{t['market']}/orderbook").json()["orderbook"]
    for side in ("yes", "no"):
        levels = book[side] or []
        assert [[f"{p / 100:.4f}", q] for p, q in levels] == book[f"{side}_dollars"]
