"""Handlers of events and series: /events, /events/{event_ticker}, /series, /series/{ticker}."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from kalshi_sim.exchange import exchange_of
from kalshi_sim.handlers.params import bool_param, limit_param, query
from kalshi_sim.handlers.responses import json_response, not_found


def get_events(request: Request) -> Response:
    exchange, q = exchange_of(request), query(request)
    t = exchange.now()
    limit = limit_param(q, 200, 200)
    nested = bool_param(q, "with_nested_markets")
    page, cursor = exchange.events_page(q, t, limit=limit, nested=nested)
    return json_response(
        b'{"events":' + page + b',"cursor":' + orjson.dumps(cursor) + b',"milestones":[]}'
    )


def get_event(request: Request) -> Response:
    exchange, q = exchange_of(request), query(request)
    t = exchange.now()
    ticker = request.path_params["event_ticker"]
    e = exchange.event_row(ticker)
    if e is None:
        raise not_found(f"event {ticker} not found")
    event, markets = exchange.event_json(e, t, nested=bool_param(q, "with_nested_markets"))
    return json_response(b'{"event":' + event + b',"markets":' + markets + b"}")


async def get_series_list(request: Request) -> Response:
    exchange, q = exchange_of(request), query(request)
    tags = {x for x in q.get("tags", "").split(",") if x}
    return json_response(b'{"series":' + exchange.series_list_json(q.get("category"), tags) + b"}")


async def get_series(request: Request) -> Response:
    ticker = request.path_params["series_ticker"]
    series = exchange_of(request).series_json(ticker)
    if series is None:
        raise not_found(f"series {ticker} not found")
    return json_response(b'{"series":' + series + b"}")
