"""`/events` and `/series` payloads -> Event (with nested market records) and Series."""

from __future__ import annotations

from typing import Any

from kalshi_core.kalshi.errors import KalshiResponseError
from kalshi_core.kalshi.responses import EventRecord, MarketRecord
from kalshi_core.kalshi.wire.fields import (
    ONE,
    WireFieldError,
    _bool,
    _build,
    _dict,
    _list,
    _opt_str,
    _str,
    _text,
    _type_name,
    _where,
    load_body,
    number_from_wire,
    parse_items,
    require_list,
    time_from_wire,
)
from kalshi_core.kalshi.wire.markets import (
    MarketParser,
    parse_market_list,
)
from kalshi_core.models import (
    Event,
    Series,
)

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
