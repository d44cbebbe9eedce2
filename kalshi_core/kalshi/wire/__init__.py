"""Kalshi wire payloads -> the workbench's domain models (kalshi_core.models), by payload kind:
`fields` (field readers, bodies, pages), `markets`, `events` (events and series), `history`
(trades, candlesticks), `books` (order books), `exchange` (status, historical cutoff). Everything
is re-exported here, so `from kalshi_core.kalshi import wire; wire.MarketParser` keeps working.


Accepts both formats Kalshi has served:
- current (since 2026-03-12): prices as `*_dollars` strings ("0.5600", up to 6 dp), counts as
  `*_fp` strings ("10.00", fractional);
- legacy (old recorded data): integer cents (`yes_bid: 56` -> Decimal("0.56")) and integer
  counts (`volume: 10`); where both are present the exact `*_dollars`/`*_fp` value wins.
Unknown fields are ignored; missing or null optional fields take their defaults.

Speed: a catalogue scan parses ~104,000 markets (~200 MB of JSON), and pydantic validation of
every field costs more than the whole scan budget. So `/markets` pages are decoded by msgspec into
slim structs that declare only the fields the workbench keeps (JSON types are checked in C, the
rest of each object is skipped without building Python objects); then each value gets the checks
the models would apply (decimal syntax, price in [0, 1], count finite and >= 0, timezone-aware
time) and the frozen models are built without re-validation (`_builder`). Tests re-validate
parsed models through pydantic to keep the two in step. Less hot payloads (events, series,
trades, candles, books) go through orjson and the same field checks.

Every failure raises `KalshiResponseError` naming the endpoint and the offending path
(e.g. `GET /markets: markets[17].yes_bid_dollars: '1.2' is outside [0, 1]`); a page is parsed
completely or not at all.
"""

from __future__ import annotations

from kalshi_core.kalshi.wire.books import (
    parse_orderbook_object,
    parse_orderbook_response,
)
from kalshi_core.kalshi.wire.events import (
    parse_event,
    parse_event_list,
    parse_event_record,
    parse_event_response,
    parse_series,
    parse_series_list,
    parse_series_response,
)
from kalshi_core.kalshi.wire.exchange import (
    parse_exchange_status,
    parse_historical_cutoff,
)
from kalshi_core.kalshi.wire.fields import (
    CANDLE_PERIODS,
    ONE,
    ZERO,
    WireFieldError,
    count_from_wire,
    decode_page,
    load_body,
    number_from_wire,
    parse_items,
    price_from_dollars,
    price_from_legacy,
    require_cursor,
    require_list,
    time_from_unix,
    time_from_wire,
)
from kalshi_core.kalshi.wire.history import (
    _OHLC,
    make_candle_parser,
    parse_batch_candles_response,
    parse_candles_response,
    parse_trade,
    parse_trades_page,
)
from kalshi_core.kalshi.wire.markets import (
    MarketParser,
    WireMarket,
    WireMarketResponse,
    WireMarketsPage,
    WirePriceRange,
    build_market_records,
    decode_markets_page,
    parse_market_list,
    parse_market_response,
    parse_markets_page,
    wire_markets_from_objects,
)

__all__ = [
    "CANDLE_PERIODS",
    "ONE",
    "ZERO",
    "_OHLC",
    "MarketParser",
    "WireFieldError",
    "WireMarket",
    "WireMarketResponse",
    "WireMarketsPage",
    "WirePriceRange",
    "build_market_records",
    "count_from_wire",
    "decode_markets_page",
    "decode_page",
    "load_body",
    "make_candle_parser",
    "number_from_wire",
    "parse_batch_candles_response",
    "parse_candles_response",
    "parse_event",
    "parse_event_list",
    "parse_event_record",
    "parse_event_response",
    "parse_exchange_status",
    "parse_historical_cutoff",
    "parse_items",
    "parse_market_list",
    "parse_market_response",
    "parse_markets_page",
    "parse_orderbook_object",
    "parse_orderbook_response",
    "parse_series",
    "parse_series_list",
    "parse_series_response",
    "parse_trade",
    "parse_trades_page",
    "price_from_dollars",
    "price_from_legacy",
    "require_cursor",
    "require_list",
    "time_from_unix",
    "time_from_wire",
    "wire_markets_from_objects",
]
