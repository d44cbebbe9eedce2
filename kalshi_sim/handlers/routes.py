"""The one route table of the simulator, and the app built around an exchange.

Every mode (synthetic, replay, recorded) serves these paths with these handlers; only the
`kalshi_sim.exchange.Exchange` behind them differs. Trade API paths live under PREFIX, the
simulator's control endpoints under /_sim.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from kalshi_sim.exchange import Exchange
from kalshi_sim.faults import FaultMiddleware
from kalshi_sim.handlers import control, events, exchange_status, history, markets
from kalshi_sim.handlers.responses import ApiError, api_error, unknown_route

PREFIX = "/trade-api/v2"

Handler = Callable[[Request], Response | Awaitable[Response]]

ROUTES: tuple[tuple[str, Handler], ...] = (
    ("/markets", markets.get_markets),
    ("/markets/trades", history.get_trades),
    ("/markets/candlesticks", history.get_batch_candles),
    ("/markets/orderbooks", markets.get_orderbooks),
    ("/markets/{ticker}", markets.get_market),
    ("/markets/{ticker}/orderbook", markets.get_orderbook),
    ("/events", events.get_events),
    ("/events/{event_ticker}", events.get_event),
    ("/series", events.get_series_list),
    ("/series/{series_ticker}", events.get_series),
    ("/series/{series_ticker}/markets/{ticker}/candlesticks", history.get_candles),
    ("/historical/cutoff", history.get_cutoff),
    ("/historical/markets", markets.get_historical_markets),
    ("/historical/markets/{ticker}", markets.get_historical_market),
    ("/historical/markets/{ticker}/candlesticks", history.get_historical_candles),
    ("/historical/trades", history.get_historical_trades),
    ("/exchange/status", exchange_status.get_exchange_status),
)
"""Trade API paths (GET, under PREFIX). Static paths come before the `{ticker}` ones they
would otherwise match."""

CONTROL_ROUTES: tuple[tuple[str, Handler, tuple[str, ...]], ...] = (
    ("/faults", control.faults, ("GET", "POST")),
    ("/stats", control.stats, ("GET",)),
    ("/clock", control.clock, ("GET", "POST")),
)
"""The simulator's control endpoints (under /_sim) and their methods."""


def build_app(exchange: Exchange) -> Starlette:
    """The Starlette app serving `exchange`: routes, Kalshi's error bodies, rate limit and
    injected faults."""
    errors = {ApiError: api_error, 404: unknown_route}
    api = Starlette(
        routes=[Route(path, fn, methods=["GET"]) for path, fn in ROUTES],
        exception_handlers=errors,
    )
    control_routes = [Route(path, fn, methods=list(ms)) for path, fn, ms in CONTROL_ROUTES]
    app = Starlette(
        routes=[Mount(PREFIX, app=api), Mount("/_sim", routes=control_routes)],
        exception_handlers=errors,
    )
    # Mounted apps see their own state: the handlers find the exchange from either.
    app.state.sim = exchange
    api.state.sim = exchange
    app.add_middleware(FaultMiddleware, state=exchange.faults)
    return app
