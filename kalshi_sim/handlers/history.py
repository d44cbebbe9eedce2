"""Handlers of what happened: trades (/markets/trades, /historical/trades), candlesticks (one
market, a batch, historical) and the historical cutoff."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from kalshi_sim.exchange import exchange_of, find_market
from kalshi_sim.handlers.params import candle_params, limit_param, query
from kalshi_sim.handlers.responses import bad_request, json_response, not_found


def _trades(request: Request, *, historical: bool) -> Response:
    exchange, q = exchange_of(request), query(request)
    t = exchange.now()
    items, cursor = exchange.trades_page(q, t, historical=historical, limit=limit_param(q))
    return json_response(orjson.dumps({"trades": items, "cursor": cursor}))


def get_trades(request: Request) -> Response:
    return _trades(request, historical=False)


def get_historical_trades(request: Request) -> Response:
    return _trades(request, historical=True)


def get_candles(request: Request) -> Response:
    exchange = exchange_of(request)
    t = exchange.now()
    start, end, period = candle_params(query(request))
    ticker = request.path_params["ticker"]
    m = find_market(exchange, ticker, t, historical=False)
    if exchange.market_series(m) != request.path_params["series_ticker"]:
        raise not_found(f"market {ticker} not found in series")
    data = exchange.candles(m, start, end, period, t, historical=False)
    return json_response(orjson.dumps({"ticker": ticker, "candlesticks": data}))


def get_batch_candles(request: Request) -> Response:
    exchange, q = exchange_of(request), query(request)
    t = exchange.now()
    start, end, period = candle_params(q)
    tickers = [x for x in q.get("market_tickers", "").split(",") if x]
    if not tickers or len(tickers) > 100:
        raise bad_request("market_tickers: between 1 and 100 tickers are required")
    out = []
    for tk in tickers:
        m = find_market(exchange, tk, t, historical=False)
        data = exchange.candles(m, start, end, period, t, historical=False)
        out.append({"market_ticker": tk, "candlesticks": data})
    return json_response(orjson.dumps({"markets": out}))


def get_historical_candles(request: Request) -> Response:
    exchange = exchange_of(request)
    t = exchange.now()
    start, end, period = candle_params(query(request))
    ticker = request.path_params["ticker"]
    m = find_market(exchange, ticker, t, historical=True)
    data = exchange.candles(m, start, end, period, t, historical=True)
    return json_response(orjson.dumps({"ticker": ticker, "candlesticks": data}))


async def get_cutoff(request: Request) -> Response:
    exchange = exchange_of(request)
    c = exchange.cutoff_time(exchange.now())
    return json_response(
        orjson.dumps({"market_settled_ts": c, "trades_created_ts": c, "orders_updated_ts": c})
    )
