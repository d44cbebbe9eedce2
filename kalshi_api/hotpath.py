"""The hot GETs answered below FastAPI: a pure ASGI layer in front of the router.

`/api/v1/markets/{ticker}`, `/api/v1/markets/{ticker}/history?limit=N` and repeats of a
`/api/v1/markets?...` page are what dashboards and notebooks poll. FastAPI's routing, dependency
solving and parameter validation cost about as much CPU per request as the database query they
wrap; for these shapes this layer does the same work directly:

- a single market and its history call the same `JsonReadRepository` methods the routes call
  and answer with the same bodies, 404s and 503s;
- a markets page is served from the `ResponseCache` when the exact same query string was answered
  by the route at the current data version (`kalshi_api.changes`).

Anything else falls through to FastAPI untouched: other paths and methods, a query string this
layer does not parse itself (start/end, repeated or unknown parameters), a ticker or limit the
route would reject (FastAPI then answers the 422), a cache miss. So validation and documentation
live in one place, the routes; tests run the same requests with this layer on and off and expect
identical answers (tests/api/test_hotpath.py).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from kalshi_api.changes import ResponseCache
from kalshi_api.errors import NOT_SERVING, unavailable_response
from kalshi_api.params import DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT, TEXT_PATTERN, TICKER_MAX
from kalshi_api.responses import (
    markets_cache_key,
    not_modified,
    unknown_market,
    unknown_market_history,
)
from kalshi_core.storage.repositories import JsonReadRepository

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MARKETS: Final = "/api/v1/markets"
_PREFIX: Final = "/api/v1/markets/"
_HISTORY: Final = "/history"
# fullmatch: with re.match, "$" would also accept a trailing newline (pydantic does not).
_TICKER_OK: Final = re.compile(TEXT_PATTERN)
# What pydantic's lax int accepts from a query string is wider ("+5", " 5", "5.0"); this
# layer takes plain digits only and lets the route judge the rest.
_LIMIT_QS: Final = re.compile(rb"limit=([0-9]{1,6})")
_JSON: Final = (b"content-type", b"application/json")


def _matches(scope: Scope, etag: bytes) -> bool:
    """The request's If-None-Match matches `etag` (same rule as the route's `not_modified`)."""
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return not_modified(value.decode("latin-1"), etag.decode("latin-1"))
    return False


def _ticker(text: str) -> str | None:
    """`text` if the route's TickerPath would accept it, else None (the route answers 422)."""
    if 1 <= len(text) <= TICKER_MAX and "/" not in text and _TICKER_OK.fullmatch(text):
        return text
    return None


async def _send(send: Send, status: int, body: bytes, extra: tuple[Any, ...] = ()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [_JSON, (b"content-length", str(len(body)).encode()), *extra],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HotPathMiddleware:
    """Answers the hot GETs itself when it can; passes everything else to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith(_MARKETS) and await self._answer(scope, path, send):
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, path: str, send: Send) -> bool:
        state = scope["app"].state
        reads: JsonReadRepository | None = getattr(state, "reads", None)
        if reads is None:
            return False  # not started: the route answers 503
        qs: bytes = scope["query_string"]
        if path == _MARKETS:
            cache: ResponseCache | None = getattr(state, "cache", None)
            hit = cache.get(markets_cache_key(qs)) if cache is not None else None
            if hit is None:
                return False
            if _matches(scope, hit.etag):
                await send({"type": "http.response.start", "status": 304, "headers": hit.headers})
                await send({"type": "http.response.body", "body": b""})
            else:
                await _send(send, 200, hit.body, hit.headers)
            return True
        if not path.startswith(_PREFIX):
            return False
        rest = path[len(_PREFIX) :]
        try:
            if rest.endswith(_HISTORY):
                return await self._history(rest[: -len(_HISTORY)], qs, reads, send)
            if qs:
                return False
            ticker = _ticker(rest)
            if ticker is None:
                return False
            body = await reads.market(ticker)
            if body is None:
                response = unknown_market(ticker)
                await _send(send, response.status_code, bytes(response.body))
            else:
                await _send(send, 200, body.encode())
        except NOT_SERVING as exc:
            response = unavailable_response(path, exc)
            await _send(send, response.status_code, bytes(response.body), ((b"retry-after", b"1"),))
        return True

    async def _history(self, text: str, qs: bytes, reads: JsonReadRepository, send: Send) -> bool:
        ticker = _ticker(text)
        if ticker is None:
            return False
        if not qs:
            limit = DEFAULT_HISTORY_LIMIT
        else:
            m = _LIMIT_QS.fullmatch(qs)
            if m is None:
                return False
            limit = int(m.group(1))
            if not 1 <= limit <= MAX_HISTORY_LIMIT:
                return False
        body = await reads.history(ticker, limit)
        if body is None:
            response = unknown_market_history(ticker)
            await _send(send, response.status_code, bytes(response.body))
        else:
            await _send(send, 200, body.encode())
        return True
