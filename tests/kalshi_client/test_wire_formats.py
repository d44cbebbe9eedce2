"""Contract: the wire parser accepts both Kalshi formats (current `*_dollars`/`*_fp` strings and
legacy integer cents/counts) and maps the same data to identical models; it ignores unknown
fields, tolerates missing/null optional ones, and rejects a malformed body with a
`KalshiResponseError` that names the endpoint and the offending field — never a partial result."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest

from kalshi_core.kalshi import KalshiResponseError, wire

OBSERVED = datetime(2026, 8, 12, 4, 0, 5, tzinfo=UTC)
Legacy = Callable[[dict[str, Any]], dict[str, Any]]


def _page(markets: list[Any], cursor: Any = "") -> bytes:
    return orjson.dumps({"markets": markets, "cursor": cursor})


def _parse(body: bytes) -> list[Any]:
    return wire.parse_markets_page(body, "GET /markets", wire.MarketParser(OBSERVED, 1))[0]


# --- same data, both formats ---------------------------------------------------------------------


def test_legacy_and_current_market_parse_identically(
    market_current: dict[str, Any], legacy: Legacy
) -> None:
    old = legacy(market_current)
    assert "yes_bid" in old
    assert "yes_bid_dollars" not in old
    assert old["volume"] == 2892306
    assert "volume_fp" not in old
    old["tick_size"] = 1  # legacy markets carried tick_size in cents
    new_rec = _parse(_page([market_current]))[0]
    old_rec = _parse(_page([old]))[0]
    assert new_rec == old_rec
    assert new_rec.snapshot.yes_bid == Decimal("0.42")
    assert new_rec.snapshot.yes_bid_size == 120
    assert new_rec.snapshot.yes_price == Decimal("0.435")


def test_dollars_win_over_cents_when_both_present(market_current: dict[str, Any]) -> None:
    m = dict(market_current, yes_bid=99, yes_bid_dollars="0.4210")  # sub-cent price
    assert _parse(_page([m]))[0].snapshot.yes_bid == Decimal("0.421")


def test_legacy_and_current_trade_parse_identically(legacy: Legacy) -> None:
    current = {
        "trade_id": "t-1",
        "ticker": "KXA-1",
        "count_fp": "12.00",
        "yes_price_dollars": "0.3700",
        "no_price_dollars": "0.6300",
        "taker_outcome_side": "no",
        "taker_book_side": "bid",
        "taker_side": "no",
        "created_time": "2026-08-11T21:00:00.123Z",
        "is_block_trade": False,
    }
    old = legacy(current)
    del old["taker_outcome_side"], old["taker_book_side"], old["is_block_trade"]
    a = wire.parse_trades_page(orjson.dumps({"trades": [current], "cursor": ""}), "GET /t")[0]
    b = wire.parse_trades_page(orjson.dumps({"trades": [old], "cursor": ""}), "GET /t")[0]
    assert a == b
    assert a[0].yes_price == Decimal("0.37")
    assert a[0].count == 12
    assert a[0].taker_side == "no"


BID = ["0.40", "0.45", "0.39", "0.44"]
ASK = ["0.42", "0.47", "0.41", "0.46"]


def test_historical_candle_shape_equals_live_shape() -> None:
    live = {
        "end_period_ts": 1754956800,
        "yes_bid": {k + "_dollars": v for k, v in zip(wire._OHLC, BID, strict=True)},
        "yes_ask": {k + "_dollars": v for k, v in zip(wire._OHLC, ASK, strict=True)},
        "price": {"open_dollars": None, "close_dollars": None},
        "volume_fp": "10.00",
        "open_interest_fp": "250.00",
    }
    hist = {
        "end_period_ts": 1754956800,
        "yes_bid": dict(zip(wire._OHLC, BID, strict=True)),
        "yes_ask": dict(zip(wire._OHLC, ASK, strict=True)),
        "price": {"open": None, "high": None, "low": None, "close": None, "mean": None},
        "volume": "10.00",
        "open_interest": "250.00",
    }
    a = wire.parse_candles_response(orjson.dumps({"candlesticks": [live]}), "GET /c", "T", 60)
    b = wire.parse_candles_response(orjson.dumps({"candlesticks": [hist]}), "GET /h", "T", 60)
    assert a == b
    assert a[0].yes_bid_high == Decimal("0.45")
    assert a[0].price_close is None
    assert a[0].period_minutes == 60


def test_candle_without_quotes_keeps_them_unknown() -> None:
    """A candle rebuilt from a recorded trade tape (kalshi_sim --recorded) has no bid/ask and
    no open interest: they parse as None, never as an empty book or zero."""
    tape = {
        "end_period_ts": 1754956800,
        "price": {"open_dollars": "0.4800", "low_dollars": "0.4800", "high_dollars": "0.9800",
                  "close_dollars": "0.9800", "mean_dollars": "0.7851", "previous_dollars": None},
        "volume_fp": "796.00",
    }  # fmt: skip
    (c,) = wire.parse_candles_response(orjson.dumps({"candlesticks": [tape]}), "GET /c", "T", 60)
    assert (c.yes_bid_open, c.yes_bid_close, c.yes_ask_open, c.yes_ask_close) == (None,) * 4
    assert c.open_interest is None
    assert (c.price_open, c.price_close, c.volume) == (
        Decimal("0.48"), Decimal("0.98"), Decimal("796"),
    )  # fmt: skip


def test_orderbook_current_legacy_and_empty_sides() -> None:
    current = {
        "orderbook_fp": {
            "yes_dollars": [["0.4000", "10.00"], ["0.4200", "5.50"]],
            "no_dollars": [["0.5500", "7.00"]],
        }
    }
    book = wire.parse_orderbook_response(orjson.dumps(current), "GET /ob", "KXA-1")
    assert [lv.price for lv in book.yes_bids] == [Decimal("0.42"), Decimal("0.40")]  # best first
    assert book.best_yes_bid == Decimal("0.42")
    assert book.best_yes_bid_size == Decimal("5.5")
    assert book.best_yes_ask == Decimal("0.45")  # 1 - best NO bid
    assert book.best_yes_ask_size == 7
    legacy = {"orderbook": {"yes": [[40, 10], [42, 5]], "no": [[55, 7]]}}
    old = wire.parse_orderbook_response(orjson.dumps(legacy), "GET /ob", "KXA-1")
    assert [lv.price for lv in old.yes_bids] == [lv.price for lv in book.yes_bids]
    assert old.best_yes_ask == book.best_yes_ask
    for empty in (
        {"orderbook_fp": {"yes_dollars": [], "no_dollars": []}},
        {"orderbook_fp": {"yes_dollars": None, "no_dollars": None}},
        {"orderbook": {"yes": None, "no": None}},
    ):
        e = wire.parse_orderbook_response(orjson.dumps(empty), "GET /ob", "KXA-1")
        assert (e.best_yes_bid, e.best_yes_ask) == (0, 1)
        assert (e.best_yes_bid_size, e.best_yes_ask_size) == (0, 0)


def test_series_exchange_status_and_cutoff() -> None:
    series = {
        "series": {
            "ticker": "KXHIGHNY",
            "title": "NYC high",
            "category": "Climate",
            "categories": ["Climate"],
            "frequency": "daily",
            "tags": None,
            "fee_type": "quadratic_with_maker_fees",
            "fee_multiplier": 0.5,
            "settlement_sources": None,
            "contract_url": "",
            "last_updated_ts": "2026-08-01T00:00:00Z",
            "some_new_field": {"x": 1},
        }
    }
    s = wire.parse_series_response(orjson.dumps(series), "GET /series/KXHIGHNY")
    assert s.fee_multiplier == Decimal("0.5")
    assert s.tags == []
    assert s.fee_type == "quadratic_with_maker_fees"
    st = wire.parse_exchange_status(
        orjson.dumps({"exchange_active": True, "trading_active": False}), "GET /exchange/status"
    )
    assert (st.exchange_active, st.trading_active, st.exchange_estimated_resume_time) == (
        True,
        False,
        None,
    )
    cut = wire.parse_historical_cutoff(
        orjson.dumps(
            {
                "market_settled_ts": "2026-05-01T00:00:00Z",
                "trades_created_ts": "2026-05-02T00:00:00Z",
                "orders_updated_ts": "2026-05-03T00:00:00Z",
            }
        ),
        "GET /historical/cutoff",
    )
    assert cut.market_settled_ts == datetime(2026, 5, 1, tzinfo=UTC)


# --- tolerance -----------------------------------------------------------------------------------


def test_unknown_fields_ignored_and_optional_nulls_tolerated(
    market_current: dict[str, Any],
) -> None:
    m = dict(market_current)
    m["brand_new_field"] = {"nested": [1, 2, 3]}
    m["settlement_bounds_type"] = "floor"
    for k in ("title", "expected_expiration_time", "settlement_ts", "price_ranges", "result"):
        m[k] = None
    for k in ("yes_sub_title", "open_time", "updated_time", "yes_bid_size_fp", "can_close_early"):
        del m[k]
    rec = _parse(_page([m]))[0]
    assert rec.market.title is None
    assert rec.market.yes_sub_title == ""
    assert rec.market.open_time is None
    assert rec.market.price_ranges == []
    assert rec.market.tick_size is None
    assert rec.snapshot.yes_bid_size == 0  # sizes are optional (legacy data has none)


def test_null_markets_array_is_an_empty_page() -> None:
    assert _parse(orjson.dumps({"markets": None, "cursor": ""})) == []


def test_combo_markets_are_flagged(market_current: dict[str, Any]) -> None:
    a = dict(market_current, ticker="KXMVESPORTS-1", mve_collection_ticker=None)
    b = dict(market_current, ticker="X-2", mve_collection_ticker="KXMVECOLL")
    recs = _parse(_page([a, b, market_current]))
    assert [r.market.is_mve for r in recs] == [True, True, False]


def test_market_parser_rejects_naive_observed_at() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        wire.MarketParser(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="sequence"):
        wire.MarketParser(OBSERVED, -1)


# --- malformed bodies ----------------------------------------------------------------------------


def _mutated(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    m = copy.deepcopy(base)
    for k, v in changes.items():
        if v is _DELETE:
            m.pop(k, None)
        else:
            m[k] = v
    return m


_DELETE = object()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"yes_bid_dollars": "1.2000"}, r"\.yes_bid_dollars: price '1.2000' is outside \[0, 1\]"),
        ({"yes_bid_dollars": "-0.0100"}, r"\.yes_bid_dollars: .*outside"),
        ({"yes_ask_dollars": "abc"}, r"\.yes_ask_dollars: 'abc' is not a decimal"),
        ({"last_price_dollars": "NaN"}, r"\.last_price_dollars: .*outside"),
        ({"yes_bid_dollars": 0.42}, r"\.yes_bid_dollars: Expected `str \| null`, got `float`"),
        ({"yes_bid_dollars": [1]}, r"\.yes_bid_dollars: Expected `str \| null`, got `array`"),
        ({"volume_fp": "-3.00"}, r"\.volume_fp: count -3.00 must be a finite number >= 0"),
        ({"volume_fp": "Infinity"}, r"\.volume_fp: count Infinity must be a finite number"),
        ({"volume_fp": "lots"}, r"\.volume_fp: Invalid decimal string"),
        ({"volume_fp": True}, r"\.volume_fp: Expected `decimal \| null`, got `bool`"),
        ({"volume_fp": _DELETE}, r"\.volume_fp: missing required count"),
        ({"open_interest_fp": None}, r"\.open_interest_fp: missing required count"),
        ({"ticker": _DELETE}, r": Object missing required field `ticker`"),
        ({"ticker": "X" * 201}, r"\.ticker: Expected `str` of length <= 200"),
        ({"event_ticker": 17}, r"\.event_ticker: Expected `str`, got `int`"),
        ({"status": ""}, r"\.status: Expected `str` of length >= 1"),
        ({"close_time": "2026-08-15 01:40"}, r"\.close_time: .*no timezone"),
        ({"close_time": "tomorrow"}, r"\.close_time: 'tomorrow' is not an RFC 3339 time"),
        ({"close_time": 1754956800}, r"\.close_time: Expected `str \| null`, got `int`"),
        ({"can_close_early": "yes"}, r"\.can_close_early: Expected `bool \| null`, got `str`"),
        ({"market_type": "ternary"}, r"\.market_type: unknown market type"),
        (
            {"yes_bid_dollars": _DELETE, "yes_bid": _DELETE},
            r"\.yes_bid_dollars: missing required price",
        ),
        ({"yes_bid_dollars": _DELETE, "yes_bid": 101}, r"\.yes_bid: price 101 cents is outside"),
        (
            {"price_ranges": [{"start": "0", "end": "1"}]},
            r"\.price_ranges\[0\]: start, end and step are required",
        ),
    ],
)
def test_malformed_market_fields_name_endpoint_and_field(
    market_current: dict[str, Any], changes: dict[str, Any], expected: str
) -> None:
    bad = _mutated(market_current, **changes)
    body = _page([market_current, bad, market_current])
    where = r"^GET /markets: markets\[1\]( \([^)]+\))?"
    with pytest.raises(KalshiResponseError, match=where + expected) as info:
        _parse(body)
    assert info.value.endpoint == "GET /markets"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", r"body is not valid JSON"),
        (b"<html>502 Bad Gateway</html>", r"body is not valid JSON .* starting '<html>"),
        (b'{"markets": [{"ticker": "A"', r"body is not valid JSON"),  # truncated
        (b"[]", r"Expected `object`, got `array`"),
        (b'{"cursor": ""}', r"Object missing required field `markets`"),
        (b'{"markets": []}', r"Object missing required field `cursor`"),
        (b'{"markets": {}, "cursor": ""}', r"markets: Expected `array \| null`, got `object`"),
        (b'{"markets": [], "cursor": 5}', r"cursor: Expected `str \| null`, got `int`"),
        (b'{"markets": [7], "cursor": ""}', r"markets\[0\]: Expected `object`, got `int`"),
    ],
)
def test_malformed_page_structure(body: bytes, expected: str) -> None:
    with pytest.raises(KalshiResponseError, match=r"^GET /markets: " + expected):
        _parse(body)


def test_truncated_real_page_is_an_error_not_a_partial_result(
    market_current: dict[str, Any],
) -> None:
    body = _page([market_current] * 50)
    for cut in (len(body) // 3, len(body) - 2, len(body) - 1):
        with pytest.raises(KalshiResponseError, match="not valid JSON"):
            _parse(body[:cut])


def test_malformed_other_endpoints_name_themselves() -> None:
    with pytest.raises(
        KalshiResponseError, match=r"^GET /markets/trades: trades\[0\] \(A\)\.yes_price"
    ):
        wire.parse_trades_page(
            orjson.dumps(
                {
                    "trades": [
                        {
                            "trade_id": "t",
                            "ticker": "A",
                            "count_fp": "1.00",
                            "created_time": "2026-01-01T00:00:00Z",
                            "yes_price_dollars": "2.0",
                        }
                    ],
                    "cursor": "",
                }
            ),
            "GET /markets/trades",
        )
    with pytest.raises(KalshiResponseError, match=r"^GET /ob: orderbook_fp\.yes_dollars\[0\]"):
        wire.parse_orderbook_response(
            orjson.dumps({"orderbook_fp": {"yes_dollars": [["0.5"]], "no_dollars": []}}),
            "GET /ob",
            "A",
        )
    with pytest.raises(KalshiResponseError, match=r"^GET /ob: required key 'orderbook_fp'"):
        wire.parse_orderbook_response(b"{}", "GET /ob", "A")
    incomplete = {"end_period_ts": 1, "yes_bid": {"open_dollars": "0.5000"}}
    with pytest.raises(KalshiResponseError, match=r"^GET /c: candlesticks\[0\]\.yes_bid\.high"):
        wire.parse_candles_response(orjson.dumps({"candlesticks": [incomplete]}), "GET /c", "A", 1)
    with pytest.raises(KalshiResponseError, match=r"^GET /e: event"):
        wire.parse_event_response(b'{"event": null}', "GET /e", wire.MarketParser(OBSERVED))
    with pytest.raises(KalshiResponseError, match=r"^GET /x: market_settled_ts: missing"):
        wire.parse_historical_cutoff(b"{}", "GET /x")
    with pytest.raises(KalshiResponseError, match=r"^GET /s: exchange_active"):
        wire.parse_exchange_status(b'{"trading_active": true}', "GET /s")
