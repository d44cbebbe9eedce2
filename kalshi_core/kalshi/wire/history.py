"""History payloads: `/markets/trades` (and `/historical/trades`) -> Trade, candlesticks (live
and historical, single and batch) -> Candle."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from kalshi_core.kalshi.errors import KalshiResponseError
from kalshi_core.kalshi.wire.fields import (
    CANDLE_PERIODS,
    WireFieldError,
    _bool,
    _build,
    _count,
    _dict,
    _opt_price,
    _price,
    _str,
    load_body,
    parse_items,
    require_cursor,
    require_list,
    time_from_unix,
    time_from_wire,
)
from kalshi_core.models import (
    Candle,
    Trade,
)

# --- trades -------------------------------------------------------------------------------------

_SIDES: Final = frozenset({"yes", "no"})


def parse_trade(d: dict[str, Any]) -> Trade:
    side = d.get("taker_outcome_side")
    if side is None:
        side = d.get("taker_side")
    if side is not None and side not in _SIDES:
        raise WireFieldError("taker_outcome_side", f"expected 'yes' or 'no', got {side!r}")
    created = time_from_wire(d.get("created_time"), "created_time")
    if created is None:
        raise WireFieldError("created_time", "missing required time")
    return _build(
        Trade,
        {
            "trade_id": _str(d, "trade_id"),
            "ticker": _str(d, "ticker"),
            "created_time": created,
            "yes_price": _price(d, "yes_price", "yes_price_dollars"),
            "count": _count(d, "count", "count_fp"),
            "taker_side": side,
            "is_block_trade": _bool(d, "is_block_trade"),
        },
    )


def parse_trades_page(body: bytes, endpoint: str) -> tuple[list[Trade], str]:
    obj = load_body(body, endpoint)
    cursor = require_cursor(obj, endpoint)
    return parse_items(
        require_list(obj, "trades", endpoint), "trades", endpoint, parse_trade
    ), cursor


# --- candlesticks -------------------------------------------------------------------------------

_OHLC: Final = ("open", "high", "low", "close")


def _ohlc(dist: object, field: str, required: bool) -> list[Decimal | None]:
    """An OHLC distribution; `required`: a distribution that is there must be complete.

    An absent (or null) distribution is four Nones: Kalshi always sends the bid/ask ones, but
    candles rebuilt from a recorded trade tape have no quote, and none is made up for them."""
    if dist is None:
        return [None, None, None, None]
    d = _dict(dist, field)
    out: list[Decimal | None] = []
    for k in _OHLC:
        p = _opt_price(d, k, k + "_dollars")
        if p is None and required:
            raise WireFieldError(f"{field}.{k}_dollars", "missing required price")
        out.append(p)
    return out


def make_candle_parser(ticker: str, period_minutes: int) -> Callable[[dict[str, Any]], Candle]:
    if period_minutes not in CANDLE_PERIODS:
        raise ValueError(f"period_interval must be one of {CANDLE_PERIODS} (got {period_minutes})")

    def parse(d: dict[str, Any]) -> Candle:
        bid = _ohlc(d.get("yes_bid"), "yes_bid", required=True)
        ask = _ohlc(d.get("yes_ask"), "yes_ask", required=True)
        trade = _ohlc(d.get("price"), "price", required=False)
        return _build(
            Candle,
            {
                "ticker": ticker,
                "period_minutes": period_minutes,
                "end_time": time_from_unix(d.get("end_period_ts"), "end_period_ts"),
                "yes_bid_open": bid[0],
                "yes_bid_high": bid[1],
                "yes_bid_low": bid[2],
                "yes_bid_close": bid[3],
                "yes_ask_open": ask[0],
                "yes_ask_high": ask[1],
                "yes_ask_low": ask[2],
                "yes_ask_close": ask[3],
                "price_open": trade[0],
                "price_high": trade[1],
                "price_low": trade[2],
                "price_close": trade[3],
                "volume": _count(d, "volume", "volume_fp"),
                # absent (recorded trade data) stays unknown, not zero
                "open_interest": (
                    None
                    if d.get("open_interest_fp") is None and d.get("open_interest") is None
                    else _count(d, "open_interest", "open_interest_fp")
                ),
            },
        )

    return parse


def parse_candles_response(
    body: bytes, endpoint: str, ticker: str, period_minutes: int
) -> list[Candle]:
    """Single-market candlesticks, live (`/series/.../candlesticks`) or historical shapes."""
    obj = load_body(body, endpoint)
    items = require_list(obj, "candlesticks", endpoint)
    return parse_items(items, "candlesticks", endpoint, make_candle_parser(ticker, period_minutes))


def parse_batch_candles_response(
    body: bytes, endpoint: str, period_minutes: int
) -> dict[str, list[Candle]]:
    """`GET /markets/candlesticks`: {"markets": [{"market_ticker", "candlesticks"}]}."""
    obj = load_body(body, endpoint)
    groups = require_list(obj, "markets", endpoint)
    out: dict[str, list[Candle]] = {}
    for i, g in enumerate(groups):
        if type(g) is not dict:
            raise KalshiResponseError(endpoint, f"markets[{i}]: expected an object")
        tkr = g.get("market_ticker")
        if type(tkr) is not str or not tkr:
            raise KalshiResponseError(endpoint, f"markets[{i}].market_ticker: missing")
        items = require_list(g, "candlesticks", endpoint)
        key = f"markets[{i}].candlesticks"
        out[tkr] = parse_items(items, key, endpoint, make_candle_parser(tkr, period_minutes))
    return out
