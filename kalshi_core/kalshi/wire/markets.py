"""`/markets` payloads -> (Market, MarketSnapshot) records.

The hot path of ingestion: a catalogue scan parses ~104,000 markets, so pages are decoded by
msgspec into slim structs declaring only the fields kept (`WireMarket`), then checked field by
field and built without re-validation (`MarketParser`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Final

import msgspec

from kalshi_core.kalshi.errors import KalshiResponseError
from kalshi_core.kalshi.responses import MarketRecord
from kalshi_core.kalshi.wire.fields import (
    _MISSING,
    ONE,
    ZERO,
    WireFieldError,
    _build,
    _builder,
    _dt_cache,
    _price_cache,
    number_from_wire,
    price_from_dollars,
    price_from_legacy,
    time_from_wire,
)
from kalshi_core.models import (
    Market,
    MarketSnapshot,
    PriceRange,
)

# --- markets ------------------------------------------------------------------------------------
#
# `/markets` pages are the hot path: msgspec decodes them straight into the slim structs below,
# skipping every field the workbench does not keep (rules text, strikes, ...) without building
# Python objects for them, and checking JSON types in C. Legacy and current spellings are separate
# keys, so both can be declared; the conversion picks the exact one when both are present.


class WirePriceRange(msgspec.Struct, gc=False):
    start: str | None = None
    end: str | None = None
    step: str | None = None


class WireMarket(msgspec.Struct, gc=False):
    """The fields of Kalshi's Market object that the workbench keeps (both formats)."""

    ticker: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    event_ticker: Annotated[str, msgspec.Meta(min_length=1)]
    status: Annotated[str, msgspec.Meta(min_length=1)]
    series_ticker: str | None = None
    title: str | None = None
    yes_sub_title: str | None = None
    no_sub_title: str | None = None
    market_type: str | None = None
    open_time: str | None = None
    close_time: str | None = None
    expected_expiration_time: str | None = None
    latest_expiration_time: str | None = None
    settlement_ts: str | None = None
    updated_time: str | None = None
    result: str | None = None
    settlement_value_dollars: str | None = None
    settlement_value: int | None = None
    can_close_early: bool | None = None
    price_level_structure: str | None = None
    price_ranges: list[WirePriceRange] | None = None
    tick_size: int | None = None
    mve_collection_ticker: str | None = None
    yes_bid_dollars: str | None = None
    yes_bid: int | None = None
    yes_ask_dollars: str | None = None
    yes_ask: int | None = None
    last_price_dollars: str | None = None
    last_price: int | None = None
    yes_bid_size_fp: Decimal | None = None
    yes_bid_size: int | None = None
    yes_ask_size_fp: Decimal | None = None
    yes_ask_size: int | None = None
    volume_fp: Decimal | None = None
    volume: int | None = None
    volume_24h_fp: Decimal | None = None
    volume_24h: int | None = None
    open_interest_fp: Decimal | None = None
    open_interest: int | None = None


class WireMarketsPage(msgspec.Struct, gc=False):
    markets: list[WireMarket] | None  # required key; Go writes an empty list as null
    cursor: str | None  # required key: a body that lost it must not read as "last page"


class WireMarketResponse(msgspec.Struct, gc=False):
    market: WireMarket


_markets_page_decoder = msgspec.json.Decoder(WireMarketsPage)
_market_response_decoder = msgspec.json.Decoder(WireMarketResponse)
_wire_market_list = list[WireMarket]


def _validation_message(exc: msgspec.ValidationError, prefix: str = "") -> str:
    """msgspec says "Expected `str`, got `int` - at `$.markets[3].ticker`"; lead with the path
    like the rest of this module: "markets[3].ticker: Expected `str`, got `int`"."""
    text = str(exc)
    head, sep, at = text.rpartition(" - at `")
    if not sep:
        return f"{prefix}: {text}" if prefix else text
    path = at.rstrip("`").removeprefix("$")
    path = (prefix + path) if prefix else path.lstrip(".")
    return f"{path}: {head}" if path else head


def _msgspec_decode(decoder: msgspec.json.Decoder[Any], body: bytes, endpoint: str) -> Any:
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise KalshiResponseError(endpoint, _validation_message(exc)) from None
    except msgspec.DecodeError as exc:
        snippet = body[:80].decode("utf-8", "replace")
        raise KalshiResponseError(
            endpoint, f"body is not valid JSON ({exc}); {len(body)} bytes starting {snippet!r}"
        ) from None


def decode_markets_page(body: bytes, endpoint: str) -> tuple[list[WireMarket], str]:
    """Decode a `/markets` page into wire structs and its next cursor ("" = last page)."""
    page: WireMarketsPage = _msgspec_decode(_markets_page_decoder, body, endpoint)
    return page.markets or [], page.cursor or ""


def wire_markets_from_objects(items: object, field: str) -> list[WireMarket]:
    """Already-decoded market objects (nested in events, recorded data) -> wire structs."""
    try:
        converted: list[WireMarket] = msgspec.convert(items, _wire_market_list)
    except msgspec.ValidationError as exc:
        raise WireFieldError("", _validation_message(exc, field)) from None
    return converted


# Nearly every market shares one tick structure, so (ranges, tick size) is computed once per
# distinct structure; PriceRange is frozen, so sharing instances is safe (lists are copied).
_range_cache: dict[
    tuple[tuple[str | None, str | None, str | None], ...],
    tuple[tuple[PriceRange, ...], Decimal | None],
] = {}


def _price_ranges(
    ranges: list[WirePriceRange] | None,
) -> tuple[tuple[PriceRange, ...], Decimal | None]:
    """(price ranges, the tick size they imply: the common step, else None)."""
    if not ranges:
        return (), None
    key = tuple((r.start, r.end, r.step) for r in ranges)
    hit = _range_cache.get(key)
    if hit is not None:
        return hit
    out = []
    for j, (start, end, step) in enumerate(key):
        f = f"price_ranges[{j}]"
        if start is None or end is None or step is None:
            raise WireFieldError(f, "start, end and step are required")
        out.append(
            _build(
                PriceRange,
                {
                    "start": number_from_wire(start, f + ".start"),
                    "end": number_from_wire(end, f + ".end"),
                    "step": number_from_wire(step, f + ".step"),
                },
            )
        )
    steps = {r.step for r in out}
    result = (tuple(out), steps.pop() if len(steps) == 1 else None)
    if len(_range_cache) < 10_000:
        _range_cache[key] = result
    return result


def _legacy_tick_size(legacy_cents: int) -> Decimal:
    if legacy_cents <= 0:
        raise WireFieldError("tick_size", f"tick size {legacy_cents} must be > 0")
    return Decimal(legacy_cents).scaleb(-2)


def _pick_price(
    dollars: str | None, cents: int | None, dollars_key: str, cents_key: str
) -> Decimal:
    if dollars is not None:
        return price_from_dollars(dollars, dollars_key)
    if cents is not None:
        return price_from_legacy(cents, cents_key)
    raise WireFieldError(dollars_key, "missing required price")


def _pick_count(
    fp: Decimal | None, legacy: int | None, fp_key: str, legacy_key: str, required: bool
) -> Decimal:
    """A count from `*_fp` or its legacy integer. Volume and open interest are required (a
    missing one would store a made-up zero); book sizes are optional (legacy data has none)."""
    if fp is not None:
        if not fp.is_finite() or fp < ZERO:
            raise WireFieldError(fp_key, f"count {fp} must be a finite number >= 0")
        return fp
    if legacy is not None:
        if legacy < 0:
            raise WireFieldError(legacy_key, f"count {legacy} must be >= 0")
        return Decimal(legacy)
    if required:
        raise WireFieldError(fp_key, "missing required count")
    return ZERO


_MARKET_TYPES: Final = frozenset({"binary", "scalar"})
_build_market = _builder(Market)
_build_snapshot = _builder(MarketSnapshot)


class MarketParser:
    """Turns wire markets into (Market, MarketSnapshot) pairs for one observation.

    `observed_at`/`sequence` are checked once here, not per market.
    """

    __slots__ = ("observed_at", "sequence", "series_ticker", "source")

    def __init__(
        self,
        observed_at: datetime,
        sequence: int = 0,
        *,
        series_ticker: str | None = None,
        source: str = "rest",
    ) -> None:
        if observed_at.tzinfo is None or observed_at.utcoffset() is None:
            raise ValueError(f"observed_at {observed_at.isoformat()} must be timezone-aware")
        if type(sequence) is not int or sequence < 0:
            raise ValueError(f"sequence must be an integer >= 0 (got {sequence!r})")
        if source not in ("rest", "websocket"):
            raise ValueError(f"source must be 'rest' or 'websocket' (got {source!r})")
        self.observed_at = observed_at
        self.sequence = sequence
        self.series_ticker = series_ticker
        self.source = source

    def at(self, observed_at: datetime) -> MarketParser:
        """The same parser stamping `observed_at` (e.g. when a page's response arrived)."""
        if observed_at == self.observed_at:
            return self
        return MarketParser(
            observed_at, self.sequence, series_ticker=self.series_ticker, source=self.source
        )

    def parse(self, d: dict[str, Any]) -> MarketRecord:
        """One market object as decoded JSON (a dict)."""
        return self.parse_wire(wire_markets_from_objects([d], "")[0])

    def parse_wire(self, w: WireMarket) -> MarketRecord:
        ticker = w.ticker
        market_type = w.market_type or "binary"
        if market_type not in _MARKET_TYPES:
            raise WireFieldError("market_type", f"unknown market type {market_type!r}")
        ranges, tick_size = _price_ranges(w.price_ranges)
        if w.tick_size is not None:
            tick_size = _legacy_tick_size(w.tick_size)
        settlement_value: Decimal | None = None
        if w.settlement_value_dollars is not None:
            settlement_value = price_from_dollars(
                w.settlement_value_dollars, "settlement_value_dollars"
            )
        elif w.settlement_value is not None:
            settlement_value = price_from_legacy(w.settlement_value, "settlement_value")
        # Inline cache lookups: times and prices repeat across markets, and a hit here saves a
        # function call per field on the hottest path of the catalogue scan.
        dtc = _dt_cache
        open_time = dtc.get(w.open_time, _MISSING)
        if open_time is _MISSING:
            open_time = time_from_wire(w.open_time, "open_time")
        close_time = dtc.get(w.close_time, _MISSING)
        if close_time is _MISSING:
            close_time = time_from_wire(w.close_time, "close_time")
        expected = dtc.get(w.expected_expiration_time, _MISSING)
        if expected is _MISSING:
            expected = time_from_wire(w.expected_expiration_time, "expected_expiration_time")
        latest = dtc.get(w.latest_expiration_time, _MISSING)
        if latest is _MISSING:
            latest = time_from_wire(w.latest_expiration_time, "latest_expiration_time")
        updated = dtc.get(w.updated_time, _MISSING)
        if updated is _MISSING:
            updated = time_from_wire(w.updated_time, "updated_time")
        market = _build_market(
            {
                "ticker": ticker,
                "event_ticker": w.event_ticker,
                "series_ticker": w.series_ticker or self.series_ticker,
                "title": w.title,
                "yes_sub_title": w.yes_sub_title or "",
                "no_sub_title": w.no_sub_title or "",
                "market_type": market_type,
                "status": w.status,
                "open_time": open_time,
                "close_time": close_time,
                "expected_expiration_time": expected,
                "latest_expiration_time": latest,
                "settlement_ts": time_from_wire(w.settlement_ts, "settlement_ts"),
                "result": w.result or None,
                "settlement_value": settlement_value,
                "can_close_early": bool(w.can_close_early),
                "price_level_structure": w.price_level_structure,
                "price_ranges": list(ranges),
                "tick_size": tick_size,
                "is_mve": bool(w.mve_collection_ticker) or ticker.startswith("KXMVE"),
                "updated_at": updated,
            },
        )
        pc = _price_cache
        yes_bid = pc.get(w.yes_bid_dollars)
        if yes_bid is None:
            yes_bid = _pick_price(w.yes_bid_dollars, w.yes_bid, "yes_bid_dollars", "yes_bid")
        yes_ask = pc.get(w.yes_ask_dollars)
        if yes_ask is None:
            yes_ask = _pick_price(w.yes_ask_dollars, w.yes_ask, "yes_ask_dollars", "yes_ask")
        last_price = pc.get(w.last_price_dollars)
        if last_price is None:
            last_price = _pick_price(
                w.last_price_dollars, w.last_price, "last_price_dollars", "last_price"
            )
        yes_ask_size = _pick_count(
            w.yes_ask_size_fp, w.yes_ask_size, "yes_ask_size_fp", "yes_ask_size", False
        )
        if yes_ask == ZERO:
            # Old responses (and some inactive markets) report an empty ask side as 0; nobody
            # sells YES at $0, and the current API's empty side is 1.0000 with size 0.
            yes_ask = ONE
            yes_ask_size = ZERO
        snapshot = _build_snapshot(
            {
                "market_ticker": ticker,
                "timestamp": self.observed_at,
                "source": self.source,
                "sequence": self.sequence,
                "yes_bid": yes_bid,
                "yes_ask": yes_ask,
                "last_price": last_price,
                "yes_bid_size": _pick_count(
                    w.yes_bid_size_fp, w.yes_bid_size, "yes_bid_size_fp", "yes_bid_size", False
                ),
                "yes_ask_size": yes_ask_size,
                "volume": _pick_count(w.volume_fp, w.volume, "volume_fp", "volume", True),
                "volume_24h": _pick_count(
                    w.volume_24h_fp, w.volume_24h, "volume_24h_fp", "volume_24h", True
                ),
                "open_interest": _pick_count(
                    w.open_interest_fp, w.open_interest, "open_interest_fp", "open_interest", True
                ),
            },
        )
        return MarketRecord(market, snapshot)


def build_market_records(
    items: list[WireMarket],
    endpoint: str,
    parser: MarketParser,
    key: str = "markets",
    offset: int = 0,
) -> list[MarketRecord]:
    """Wire structs -> records; all or nothing, errors name the element (`offset`: index of
    items[0] in the page) and its ticker."""
    out: list[MarketRecord] = []
    append = out.append
    parse = parser.parse_wire
    i = 0
    try:
        for i, w in enumerate(items):  # noqa: B007 (i names the failing element below)
            append(parse(w))
    except WireFieldError as exc:
        label = f"{key}[{i + offset}] ({items[i].ticker})"
        where = f"{label}.{exc.field}" if exc.field else label
        raise KalshiResponseError(endpoint, f"{where}: {exc.message}") from None
    return out


def parse_market_list(
    items: list[Any], endpoint: str, parser: MarketParser, key: str = "markets"
) -> list[MarketRecord]:
    """Parse an array of market objects (decoded JSON); all or nothing."""
    try:
        wires = wire_markets_from_objects(items, key)
    except WireFieldError as exc:
        raise KalshiResponseError(endpoint, exc.message) from None
    return build_market_records(wires, endpoint, parser, key)


def parse_markets_page(
    body: bytes, endpoint: str, parser: MarketParser
) -> tuple[list[MarketRecord], str]:
    """`GET /markets` / `GET /historical/markets` page -> (records, next cursor)."""
    wires, cursor = decode_markets_page(body, endpoint)
    return build_market_records(wires, endpoint, parser), cursor


def parse_market_response(body: bytes, endpoint: str, parser: MarketParser) -> MarketRecord:
    """`GET /markets/{ticker}` / `GET /historical/markets/{ticker}`."""
    resp: WireMarketResponse = _msgspec_decode(_market_response_decoder, body, endpoint)
    return build_market_records([resp.market], endpoint, parser, key="market")[0]
