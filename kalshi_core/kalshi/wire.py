"""Kalshi wire payloads -> the workbench's domain models (kalshi_core.models).

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

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final, TypeVar

import msgspec
import orjson
from pydantic import BaseModel

from kalshi_core.kalshi.errors import KalshiResponseError
from kalshi_core.kalshi.responses import EventRecord, ExchangeStatus, HistoricalCutoff, MarketRecord
from kalshi_core.models import (
    Candle,
    Event,
    Market,
    MarketSnapshot,
    OrderBook,
    OrderBookLevel,
    PriceRange,
    Series,
    Trade,
)

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
_CACHE_MAX: Final = 200_000
_GO_ZERO_TIME_PREFIX: Final = "0001-01-01"
_MISSING: Final = object()
CANDLE_PERIODS: Final = (1, 60, 1440)


class WireFieldError(ValueError):
    """A single field is wrong; the page parser adds the endpoint and the item's position."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


M = TypeVar("M", bound=BaseModel)


# --- building frozen models without re-validation ---------------------------------------------

# BaseModel keeps its state in slots; writing them through the slot descriptors skips the frozen
# model's __setattr__ guard and object.__setattr__'s checks (this is what model_construct does).
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _builder(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    """A constructor for `cls` that takes already-checked values and skips pydantic validation.

    `values` should hold every field; a missing one gets the model's default (or is an error if
    the field is required), so a field added to a model later cannot leave an instance half-built.
    """
    fields = set(cls.model_fields)
    n = len(fields)
    new = object.__new__

    def build(values: dict[str, Any]) -> M:
        if len(values) != n:
            for name, info in cls.model_fields.items():
                if name not in values:
                    if info.is_required():
                        raise WireFieldError(name, "missing required field")
                    values[name] = info.get_default(call_default_factory=True)
        obj: M = new(cls)
        _set_dict(obj, values)
        # Frozen models never mutate their fields-set, so one shared set per class is safe.
        _set_fields_set(obj, fields)
        _set_extra(obj, None)
        _set_private(obj, None)
        return obj

    return build


_BUILDERS: dict[type[BaseModel], Callable[[dict[str, Any]], Any]] = {}


def _build(cls: type[M], values: dict[str, Any]) -> M:
    """`_builder(cls)(values)`, with the builder made once per class."""
    b = _BUILDERS.get(cls)
    if b is None:
        b = _BUILDERS[cls] = _builder(cls)
    built: M = b(values)
    return built


# --- field readers ------------------------------------------------------------------------------

_price_cache: dict[Any, Decimal] = {}
# Keys are the wire strings; null and "" are seeded so the hot path needs no None test.
_dt_cache: dict[Any, datetime | None] = {None: None, "": None}


def _type_name(v: object) -> str:
    return "null" if v is None else type(v).__name__


def price_from_dollars(v: object, field: str) -> Decimal:
    """A `*_dollars` string -> Decimal in [0, 1]."""
    try:
        return _price_cache[v]
    except KeyError:
        pass
    except TypeError:  # unhashable (list/dict): certainly not a price
        raise WireFieldError(field, f"expected a dollar string, got {_type_name(v)}") from None
    if type(v) is not str:
        raise WireFieldError(field, f"expected a dollar string, got {_type_name(v)} {v!r}")
    try:
        p = Decimal(v)
    except InvalidOperation:
        raise WireFieldError(field, f"{v!r} is not a decimal number") from None
    if not p.is_finite() or p < ZERO or p > ONE:
        raise WireFieldError(field, f"price {v!r} is outside [0, 1] dollars")
    if len(_price_cache) < _CACHE_MAX:
        _price_cache[v] = p
    return p


def price_from_legacy(v: object, field: str) -> Decimal:
    """A legacy price: integer cents (56 -> 0.56), or a dollar string in the historical shapes."""
    if type(v) is int:
        if v < 0 or v > 100:
            raise WireFieldError(field, f"price {v} cents is outside [0, 100]")
        return Decimal(v).scaleb(-2)
    if type(v) is str:
        return price_from_dollars(v, field)
    raise WireFieldError(field, f"expected integer cents or a dollar string, got {_type_name(v)}")


def count_from_wire(v: object, field: str) -> Decimal:
    """A count: `*_fp` string ("10.00") or legacy integer (10); finite and >= 0."""
    t = type(v)
    if t is str:
        try:
            c = Decimal(v)  # type: ignore[arg-type]
        except InvalidOperation:
            raise WireFieldError(field, f"{v!r} is not a decimal number") from None
        if not c.is_finite() or c < ZERO:
            raise WireFieldError(field, f"count {v!r} must be a finite number >= 0")
        return c
    if t is int:
        if v < 0:  # type: ignore[operator]
            raise WireFieldError(field, f"count {v} must be >= 0")
        return Decimal(v)  # type: ignore[arg-type]
    raise WireFieldError(field, f"expected a count string or integer, got {_type_name(v)}")


def number_from_wire(v: object, field: str) -> Decimal:
    """A plain number Kalshi sends as JSON int/float or string (fee multipliers): exact Decimal."""
    t = type(v)
    if t is int:
        return Decimal(v)  # type: ignore[arg-type]
    if t is float:
        # repr of a float is its shortest round-trip text: 0.5 -> "0.5", not 0.5000000000000...
        d = Decimal(repr(v))
    elif t is str:
        try:
            d = Decimal(v)  # type: ignore[arg-type]
        except InvalidOperation:
            raise WireFieldError(field, f"{v!r} is not a number") from None
    else:
        raise WireFieldError(field, f"expected a number, got {_type_name(v)}")
    if not d.is_finite():
        raise WireFieldError(field, f"{v!r} is not a finite number")
    return d


def time_from_wire(v: object, field: str) -> datetime | None:
    """RFC 3339 text -> aware datetime; null, "" and Go's zero time (0001-01-01) -> None."""
    if v is None:
        return None
    try:
        return _dt_cache[v]
    except KeyError:
        pass
    except TypeError:
        raise WireFieldError(field, f"expected an RFC 3339 time, got {_type_name(v)}") from None
    if type(v) is not str:
        raise WireFieldError(field, f"expected an RFC 3339 time, got {_type_name(v)} {v!r}")
    if v == "" or v.startswith(_GO_ZERO_TIME_PREFIX):
        dt = None
    else:
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            raise WireFieldError(field, f"{v!r} is not an RFC 3339 time") from None
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise WireFieldError(field, f"{v!r} has no timezone (naive times are rejected)")
    if len(_dt_cache) < _CACHE_MAX:
        _dt_cache[v] = dt
    return dt


def time_from_unix(v: object, field: str) -> datetime:
    if type(v) is not int:
        raise WireFieldError(field, f"expected unix seconds (integer), got {_type_name(v)}")
    try:
        return datetime.fromtimestamp(v, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise WireFieldError(field, f"{v} is not a valid unix timestamp") from None


def _str(d: Mapping[str, Any], key: str) -> str:
    v = d.get(key)
    if type(v) is not str or not v:
        if v is None:
            raise WireFieldError(key, "missing required string")
        raise WireFieldError(key, f"expected a non-empty string, got {_type_name(v)} {v!r}")
    return v


def _opt_str(d: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    v = d.get(key)
    if v is None:
        return default
    if type(v) is not str:
        raise WireFieldError(key, f"expected a string, got {_type_name(v)}")
    return v


def _text(d: Mapping[str, Any], key: str) -> str:
    """An optional display string: null/missing -> ""."""
    v = d.get(key)
    if v is None:
        return ""
    if type(v) is not str:
        raise WireFieldError(key, f"expected a string, got {_type_name(v)}")
    return v


def _bool(d: Mapping[str, Any], key: str, default: bool = False) -> bool:
    v = d.get(key)
    if v is None:
        return default
    if type(v) is not bool:
        raise WireFieldError(key, f"expected true/false, got {_type_name(v)} {v!r}")
    return v


def _price(d: Mapping[str, Any], name: str, dollars_key: str) -> Decimal:
    v = d.get(dollars_key)
    if v is not None:
        return price_from_dollars(v, dollars_key)
    v = d.get(name)
    if v is None:
        raise WireFieldError(dollars_key, "missing required price")
    return price_from_legacy(v, name)


def _opt_price(d: Mapping[str, Any], name: str, dollars_key: str) -> Decimal | None:
    v = d.get(dollars_key)
    if v is not None:
        return price_from_dollars(v, dollars_key)
    v = d.get(name)
    if v is None:
        return None
    return price_from_legacy(v, name)


def _count(d: Mapping[str, Any], name: str, fp_key: str) -> Decimal:
    v = d.get(fp_key)
    if v is not None:
        return count_from_wire(v, fp_key)
    v = d.get(name)
    if v is None:
        return ZERO
    return count_from_wire(v, name)


def _dict(v: object, field: str) -> dict[str, Any]:
    if type(v) is not dict:
        raise WireFieldError(field, f"expected an object, got {_type_name(v)}")
    return v


def _list(v: object, field: str) -> list[Any]:
    if type(v) is not list:
        raise WireFieldError(field, f"expected an array, got {_type_name(v)}")
    return v


# --- bodies -------------------------------------------------------------------------------------


def load_body(body: bytes, endpoint: str) -> dict[str, Any]:
    """Parse a response body; it must be a JSON object."""
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        snippet = body[:80].decode("utf-8", "replace")
        raise KalshiResponseError(
            endpoint, f"body is not valid JSON ({exc}); {len(body)} bytes starting {snippet!r}"
        ) from None
    if type(obj) is not dict:
        raise KalshiResponseError(endpoint, f"expected a JSON object, got {_type_name(obj)}")
    return obj


def require_list(obj: Mapping[str, Any], key: str, endpoint: str) -> list[Any]:
    v = obj.get(key, _MISSING)
    if v is _MISSING:
        raise KalshiResponseError(endpoint, f"required key {key!r} is missing")
    if v is None:
        return []  # Go encodes an empty slice as null
    if type(v) is not list:
        raise KalshiResponseError(endpoint, f"{key}: expected an array, got {_type_name(v)}")
    return v


def require_cursor(obj: Mapping[str, Any], endpoint: str) -> str:
    """The next-page cursor; "" means the last page. The key itself must be present, so a body
    that lost it is an error rather than a listing silently taken as complete."""
    v = obj.get("cursor", _MISSING)
    if v is _MISSING:
        raise KalshiResponseError(endpoint, "required key 'cursor' is missing")
    if v is None:
        return ""
    if type(v) is not str:
        raise KalshiResponseError(endpoint, f"cursor: expected a string, got {_type_name(v)}")
    return v


def decode_page(body: bytes, endpoint: str, items_key: str) -> tuple[list[Any], str]:
    """A cursor-paginated page as decoded JSON: (the `items_key` array, next cursor)."""
    obj = load_body(body, endpoint)
    return require_list(obj, items_key, endpoint), require_cursor(obj, endpoint)


def parse_items(
    items: list[Any],
    key: str,
    endpoint: str,
    parse_one: Callable[[dict[str, Any]], M],
    offset: int = 0,
) -> list[M]:
    """Apply `parse_one` to every element, turning any field error into a `KalshiResponseError`
    that names the endpoint and the element (`offset`: index of items[0] in the page)."""
    out: list[M] = []
    append = out.append
    i = 0
    try:
        for i, item in enumerate(items):  # noqa: B007 (i names the failing element below)
            if type(item) is not dict:
                raise WireFieldError("", f"expected an object, got {_type_name(item)}")
            append(parse_one(item))
    except WireFieldError as exc:
        raise KalshiResponseError(endpoint, _where(key, i, items, exc, offset)) from None
    return out


def _where(key: str, i: int, items: list[Any], exc: WireFieldError, offset: int = 0) -> str:
    item = items[i] if i < len(items) else None
    tkr = item.get("ticker") or item.get("event_ticker") if isinstance(item, dict) else None
    label = f"{key}[{i + offset}]" + (f" ({tkr})" if isinstance(tkr, str) else "")
    return f"{label}.{exc.field}: {exc.message}" if exc.field else f"{label}: {exc.message}"


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


# --- events and series --------------------------------------------------------------------------


def parse_event(d: dict[str, Any]) -> Event:
    fee_mult = d.get("fee_multiplier_override")
    return _build(
        Event,
        {
            "event_ticker": _str(d, "event_ticker"),
            "series_ticker": _str(d, "series_ticker"),
            "title": _text(d, "title"),
            "sub_title": _text(d, "sub_title"),
            "category": _opt_str(d, "category"),
            "mutually_exclusive": _bool(d, "mutually_exclusive"),
            "strike_date": time_from_wire(d.get("strike_date"), "strike_date"),
            "fee_type_override": _opt_str(d, "fee_type_override") or None,
            "fee_multiplier_override": (
                None if fee_mult is None else number_from_wire(fee_mult, "fee_multiplier_override")
            ),
            "updated_at": time_from_wire(d.get("last_updated_ts"), "last_updated_ts"),
        },
    )


def parse_event_record(d: dict[str, Any], parser: MarketParser, endpoint: str) -> EventRecord:
    event = parse_event(d)
    nested = d.get("markets")
    markets: list[MarketRecord] = []
    if nested is not None:
        sub = MarketParser(parser.observed_at, parser.sequence, series_ticker=event.series_ticker)
        markets = parse_market_list(_list(nested, "markets"), endpoint, sub)
    return EventRecord(event, markets)


def parse_event_list(
    items: list[Any], endpoint: str, parser: MarketParser, offset: int = 0
) -> list[EventRecord]:
    out: list[EventRecord] = []
    i = 0
    try:
        for i, item in enumerate(items):  # noqa: B007
            out.append(parse_event_record(_dict(item, ""), parser, endpoint))
    except WireFieldError as exc:
        raise KalshiResponseError(endpoint, _where("events", i, items, exc, offset)) from None
    return out


def parse_event_response(body: bytes, endpoint: str, parser: MarketParser) -> EventRecord:
    """`GET /events/{ticker}`: markets nested in the event, or (deprecated) top-level."""
    obj = load_body(body, endpoint)
    ev = obj.get("event")
    if type(ev) is not dict:
        raise KalshiResponseError(endpoint, f"event: expected an object, got {_type_name(ev)}")
    try:
        record = parse_event_record(ev, parser, endpoint)
    except WireFieldError as exc:
        raise KalshiResponseError(endpoint, _where("event", 0, [ev], exc)) from None
    if record.markets or ev.get("markets") is not None:
        return record
    top = obj.get("markets")
    if top is None:
        return record
    if type(top) is not list:
        raise KalshiResponseError(endpoint, f"markets: expected an array, got {_type_name(top)}")
    sub = MarketParser(
        parser.observed_at, parser.sequence, series_ticker=record.event.series_ticker
    )
    return EventRecord(record.event, parse_market_list(top, endpoint, sub))


def parse_series(d: dict[str, Any]) -> Series:
    tags = d.get("tags")
    if tags is None:
        tags = []
    elif type(tags) is not list or not all(type(t) is str for t in tags):
        raise WireFieldError("tags", "expected an array of strings")
    fee_mult = d.get("fee_multiplier")
    fee_type = _opt_str(d, "fee_type") or "quadratic"
    return _build(
        Series,
        {
            "ticker": _str(d, "ticker"),
            "title": _text(d, "title"),
            "category": _text(d, "category"),
            "frequency": _text(d, "frequency"),
            "fee_type": fee_type,
            "fee_multiplier": ONE
            if fee_mult is None
            else number_from_wire(fee_mult, "fee_multiplier"),
            "tags": list(tags),
            "updated_at": time_from_wire(d.get("last_updated_ts"), "last_updated_ts"),
        },
    )


def parse_series_list(body: bytes, endpoint: str) -> list[Series]:
    obj = load_body(body, endpoint)
    return parse_items(require_list(obj, "series", endpoint), "series", endpoint, parse_series)


def parse_series_response(body: bytes, endpoint: str) -> Series:
    obj = load_body(body, endpoint)
    s = obj.get("series")
    if type(s) is not dict:
        raise KalshiResponseError(endpoint, f"series: expected an object, got {_type_name(s)}")
    return parse_items([s], "series", endpoint, parse_series)[0]


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
    if dist is None:
        if required:
            raise WireFieldError(field, "missing required bid/ask distribution")
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
                "open_interest": _count(d, "open_interest", "open_interest_fp"),
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


# --- exchange -----------------------------------------------------------------------------------


def parse_exchange_status(body: bytes, endpoint: str) -> ExchangeStatus:
    obj = load_body(body, endpoint)
    try:
        for k in ("exchange_active", "trading_active"):
            if type(obj.get(k)) is not bool:
                raise WireFieldError(k, "missing required true/false")
        return ExchangeStatus(
            exchange_active=obj["exchange_active"],
            trading_active=obj["trading_active"],
            exchange_estimated_resume_time=time_from_wire(
                obj.get("exchange_estimated_resume_time"), "exchange_estimated_resume_time"
            ),
        )
    except WireFieldError as exc:
        raise KalshiResponseError(endpoint, str(exc)) from None


def parse_historical_cutoff(body: bytes, endpoint: str) -> HistoricalCutoff:
    obj = load_body(body, endpoint)
    try:
        settled = time_from_wire(obj.get("market_settled_ts"), "market_settled_ts")
        if settled is None:
            raise WireFieldError("market_settled_ts", "missing required time")
        return HistoricalCutoff(
            market_settled_ts=settled,
            trades_created_ts=time_from_wire(obj.get("trades_created_ts"), "trades_created_ts"),
            orders_updated_ts=time_from_wire(obj.get("orders_updated_ts"), "orders_updated_ts"),
        )
    except WireFieldError as exc:
        raise KalshiResponseError(endpoint, str(exc)) from None
