"""The exchange a simulator serves: what the shared handlers ask of it, whatever its data.

Two implementations answer the same `Exchange` protocol, so the synthetic and recorded apps share
one route table (`kalshi_sim.handlers.routes`) and one set of handlers:
- `kalshi_sim.model_exchange.ModelExchange`: a price model (the synthetic universe, or replayed
  snapshots) on a clock that may move;
- `kalshi_sim.recorded.exchange.RecordedExchange`: a recording, as of its end.

Handlers parse the request and shape the response; an exchange selects and renders. Each request
is answered as of one instant `t = exchange.now()`, passed to every call it makes. Bodies come
back as JSON bytes (or plain objects where the handler wraps them), in Kalshi's wire format.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.requests import Request

from kalshi_sim.faults import FaultState
from kalshi_sim.handlers.responses import not_found

Query = dict[str, str]


class Exchange(Protocol):
    """What the Trade API and /_sim handlers read."""

    faults: FaultState

    def now(self) -> float:
        """The instant (unix seconds) a request is answered as of."""
        ...

    # -- lookups (None: unknown) --------------------------------------------------------------
    def market_row(self, ticker: str) -> int | None: ...
    def is_historical(self, m: int, t: float) -> bool:
        """Whether market m settled before the historical cutoff at t (served by
        /historical/* only)."""
        ...

    def market_series(self, m: int) -> str: ...
    def event_row(self, ticker: str) -> int | None: ...

    # -- markets ------------------------------------------------------------------------------
    def markets_page(
        self, q: Query, t: float, *, historical: bool, limit: int
    ) -> tuple[bytes, str]:
        """A page of /markets (or /historical/markets): a JSON array and the next cursor."""
        ...

    def market_json(self, m: int, t: float) -> bytes: ...
    def orderbook(self, m: int, t: float, depth: int) -> dict[str, Any]:
        """The market's book as the orderbook endpoints serve it (0 depth: every level)."""
        ...

    # -- events and series --------------------------------------------------------------------
    def events_page(self, q: Query, t: float, *, limit: int, nested: bool) -> tuple[bytes, str]:
        """A page of /events: a JSON array and the next cursor."""
        ...

    def event_json(self, e: int, t: float, *, nested: bool) -> tuple[bytes, bytes]:
        """(the event object, the JSON array of its markets not yet historical)."""
        ...

    def series_list_json(self, category: str | None, tags: set[str]) -> bytes: ...
    def series_json(self, ticker: str) -> bytes | None: ...

    # -- history ------------------------------------------------------------------------------
    def trades_page(
        self, q: Query, t: float, *, historical: bool, limit: int
    ) -> tuple[list[dict[str, Any]], str]:
        """Trades newest first, and the next cursor."""
        ...

    def candles(
        self, m: int, start: int, end: int, period: int, t: float, *, historical: bool
    ) -> list[dict[str, Any]]:
        """Candlesticks of `period` minutes ending in [start, end] (historical key names when
        `historical`)."""
        ...

    def cutoff_time(self, t: float) -> str:
        """The historical cutoff at t, RFC 3339."""
        ...

    # -- /_sim --------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]: ...
    def read_clock(self) -> tuple[float, float]:
        """(simulated now, simulated seconds per wall second)."""
        ...

    def set_clock(self, body: bytes) -> None:
        """Apply a POST /_sim/clock body, or refuse it with an ApiError."""
        ...


def exchange_of(request: Request) -> Exchange:
    """The exchange an app serves (set by `kalshi_sim.handlers.routes.build_app`)."""
    exchange: Exchange = request.app.state.sim
    return exchange


def find_market(exchange: Exchange, ticker: str, t: float, *, historical: bool) -> int:
    """Market row of `ticker`, on the side of the cutoff the endpoint serves, or a 404."""
    m = exchange.market_row(ticker)
    if m is None:
        raise not_found(f"market {ticker} not found")
    is_hist = exchange.is_historical(m, t)
    if is_hist != historical:
        raise not_found(f"market {ticker} is " + ("not " if not is_hist else "") + "historical")
    return m
