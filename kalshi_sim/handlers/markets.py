"""Handlers of markets and their books: /markets, /markets/{ticker}, /historical/markets*,
/markets/{ticker}/orderbook and /markets/orderbooks."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from kalshi_sim.exchange import exchange_of, find_market
from kalshi_sim.handlers.params import int_param, limit_param, query
from kalshi_sim.handlers.responses import bad_request, json_response


def _markets_page(request: Request, *, historical: bool) -> Response:
    exchange, q = exchange_of(request), query(request)
    t = exchange.now()
    page, cursor = exchange.markets_page(q, t, historical=historical, limit=limit_param(q))
    return json_response(b'{"markets":' + page + b',"cursor":' + orjson.dumps(cursor) + b"}")


def get_markets(request: Request) -> Response:
    return _markets_page(request, historical=False)


def get_historical_markets(request: Request) -> Response:
    return _markets_page(request, historical=True)


def _market(request: Request, *, historical: bool) -> Response:
    exchange = exchange_of(request)
    t = exchange.now()
    m = find_market(exchange, request.path_params["ticker"], t, historical=historical)
    return json_response(b'{"market":' + exchange.market_json(m, t) + b"}")


async def get_market(request: Request) -> Response:
    return _market(request, historical=False)


async def get_historical_market(request: Request) -> Response:
    return _market(request, historical=True)


async def get_orderbook(request: Request) -> Response:
    exchange, q = exchange_of(request), query(request)
    t = exchange.now()
    depth = int_param(q, "depth", 0, lo=0, hi=100)
    assert depth is not None
    m = find_market(exchange, request.path_params["ticker"], t, historical=False)
    return json_response(orjson.dumps(exchange.orderbook(m, t, depth)))


def get_orderbooks(request: Request) -> Response:
    exchange = exchange_of(request)
    t = exchange.now()
    tickers = request.query_params.getlist("tickers")
    tickers = [x for part in tickers for x in part.split(",") if x]
    if not tickers or len(tickers) > 100:
        raise bad_request("tickers: between 1 and 100 market tickers are required")
    out = []
    for tk in tickers:
        m = find_market(exchange, tk, t, historical=False)
        out.append({"ticker": tk, **exchange.orderbook(m, t, 0)})
    return json_response(orjson.dumps({"orderbooks": out}))
