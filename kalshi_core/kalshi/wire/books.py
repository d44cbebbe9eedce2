"""`/markets/{ticker}/orderbook` payloads -> OrderBook (bids only; asks are 1 - the other
side's best bid)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kalshi_core.kalshi.errors import KalshiResponseError
from kalshi_core.kalshi.wire.fields import (
    WireFieldError,
    _build,
    _list,
    count_from_wire,
    load_body,
    price_from_dollars,
    price_from_legacy,
)
from kalshi_core.models import (
    OrderBook,
    OrderBookLevel,
)

# --- order books --------------------------------------------------------------------------------


def _levels(v: object, field: str, legacy_cents: bool) -> list[OrderBookLevel]:
    if v is None:
        return []
    levels = []
    for j, lvl in enumerate(_list(v, field)):
        f = f"{field}[{j}]"
        if type(lvl) is not list or len(lvl) != 2:
            raise WireFieldError(f, f"expected a [price, count] pair, got {lvl!r}")
        price = (
            price_from_legacy(lvl[0], f + "[0]")
            if legacy_cents
            else price_from_dollars(lvl[0], f + "[0]")
        )
        levels.append(
            _build(OrderBookLevel, {"price": price, "count": count_from_wire(lvl[1], f + "[1]")})
        )
    levels.sort(key=lambda lv: lv.price, reverse=True)
    return levels


def _book_side(book: Mapping[str, Any], side: str) -> list[OrderBookLevel]:
    dollars_key = f"{side}_dollars"
    if book.get(dollars_key) is not None or side not in book:
        return _levels(book.get(dollars_key), dollars_key, legacy_cents=False)
    return _levels(book.get(side), side, legacy_cents=True)


def parse_orderbook_object(book: dict[str, Any], ticker: str) -> OrderBook:
    return _build(
        OrderBook,
        {
            "market_ticker": ticker,
            "yes_bids": _book_side(book, "yes"),
            "no_bids": _book_side(book, "no"),
        },
    )


def parse_orderbook_response(body: bytes, endpoint: str, ticker: str) -> OrderBook:
    """`GET /markets/{ticker}/orderbook`: `orderbook_fp` (current) or `orderbook` (legacy cents)."""
    obj = load_body(body, endpoint)
    book = obj.get("orderbook_fp")
    key = "orderbook_fp"
    if book is None:
        book, key = obj.get("orderbook"), "orderbook"
    if type(book) is not dict:
        raise KalshiResponseError(
            endpoint, "required key 'orderbook_fp' is missing or not an object"
        )
    try:
        return parse_orderbook_object(book, ticker)
    except WireFieldError as exc:
        raise KalshiResponseError(endpoint, f"{key}.{exc.field}: {exc.message}") from None
