"""Errors as JSON with a clear message, and the database failures that mean 503, not 500.

Every error body is `{"detail": ...}` (FastAPI's shape; validation errors keep FastAPI's list of
problems). A database that refuses connections, is restarting, times out or is missing the schema
answers 503 so clients and load balancers retry instead of reporting a bug; anything else
unexpected is a 500 with a generic message (the traceback goes to the log, not to the client).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from kalshi_core.logs import get_logger

log = get_logger(__name__)

UNAVAILABLE_ERRORS: Final[tuple[type[Exception], ...]] = (
    OSError,  # refused / reset / unreachable, and TimeoutError
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.InterfaceError,  # pool closing, connection lost mid-query
    asyncpg.UndefinedTableError,  # migrations not applied
)
"""Exceptions that mean "the database cannot serve this now"."""


class ApiNotReadyError(RuntimeError):
    """The app's lifespan has not opened the database (or has closed it)."""


NOT_SERVING: Final[tuple[type[Exception], ...]] = (*UNAVAILABLE_ERRORS, ApiNotReadyError)
"""Everything that answers 503."""


def json_error(status_code: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps({"detail": detail}),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def describe_unavailable(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "database unavailable: no answer in time"
    if isinstance(exc, asyncpg.UndefinedTableError):
        return "database unavailable: schema missing (run the migrations)"
    if isinstance(exc, ApiNotReadyError):
        return "service not ready: database not opened"
    return f"database unavailable: {type(exc).__name__}"


def unavailable_response(path: str, exc: BaseException) -> Response:
    """The 503 for a database that cannot serve now (logged once per request)."""
    log.warning(
        "database unavailable", extra={"path": path, "error": f"{type(exc).__name__}: {exc}"}
    )
    return json_error(503, describe_unavailable(exc), {"Retry-After": "1"})


async def _unavailable(request: Request, exc: Exception) -> Response:
    return unavailable_response(request.url.path, exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", extra={"path": request.url.path}, exc_info=exc)
    return json_error(500, "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    for exc_type in NOT_SERVING:
        app.add_exception_handler(exc_type, _unavailable)
    app.add_exception_handler(Exception, _unexpected)


ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


class RequestTimeoutMiddleware:
    """Bounds every HTTP request: past `timeout_s` it answers 503 instead of hanging.

    The pool's command timeout bounds a query; this also bounds waiting for a free connection
    and for a connection attempt to a host that drops packets. A pure ASGI middleware, so it
    costs one `asyncio.timeout` per request.
    """

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            async with asyncio.timeout(self.timeout_s):
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            if started:
                raise
            log.warning("request timed out", extra={"path": scope.get("path")})
            response = json_error(
                503,
                f"database unavailable: no answer within {self.timeout_s:g} s",
                {"Retry-After": "1"},
            )
            await response(scope, receive, send)
