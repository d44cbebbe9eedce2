"""The FastAPI app: `create_app(settings)` builds it; `app` is uvicorn's target.

    uvicorn kalshi_api.main:app

Requests pass the request timeout, CORS and `kalshi_api.hotpath` (which answers the hottest GETs
without FastAPI's routing) before reaching the routers. The lifespan opens one read-only asyncpg
pool (`Database.connect(readonly=True)`, bounded by DB_POOL_MIN/DB_POOL_MAX, queries bounded by
API_DB_TIMEOUT_S). If the database does not answer
at startup the app starts anyway with an empty pool and answers 503 until it does, so a restart
of PostgreSQL never needs a restart of the API. It also starts the `ChangeFeed` (LISTEN for data
changes) behind the markets-list response cache (`kalshi_api.changes`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from kalshi_api.changes import ChangeFeed, ResponseCache
from kalshi_api.errors import (
    UNAVAILABLE_ERRORS,
    RequestTimeoutMiddleware,
    install_error_handlers,
)
from kalshi_api.hotpath import HotPathMiddleware
from kalshi_api.routers import api_router, health
from kalshi_core.logs import configure_logging, get_logger
from kalshi_core.settings import Settings, get_settings
from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.postgres.json_reads import PostgresJsonReads

log = get_logger(__name__)

API_VERSION = "1.0.0"


def operation_id(route: APIRoute) -> str:
    """`<tag>-<route name>`, e.g. `markets-list`: clean names for generated clients."""
    tag = str(route.tags[0]) if route.tags else "api"
    return f"{tag}-{route.name}"


async def open_database(settings: Settings) -> Database:
    """The read-only pool; empty (connecting lazily) if the database is down right now."""
    try:
        async with asyncio.timeout(settings.api_db_timeout_s):
            return await Database.connect(
                settings.database_url,
                min_size=min(settings.db_pool_min, settings.db_pool_max),
                max_size=settings.db_pool_max,
                readonly=True,
                command_timeout=settings.api_db_timeout_s,
            )
    except UNAVAILABLE_ERRORS as exc:
        log.warning(
            "database unavailable at startup; serving 503 until it answers",
            extra={"error": f"{type(exc).__name__}: {exc}"},
        )
    # min_size=0 opens no connection now; each request tries again.
    return await Database.connect(
        settings.database_url,
        min_size=0,
        max_size=settings.db_pool_max,
        readonly=True,
        command_timeout=settings.api_db_timeout_s,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API with its routers, CORS, error handlers and database lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Read at startup, not at build time: a test may point a built app at its database.
        current: Settings = app.state.settings
        configure_logging(current.log_level, json=current.log_json)
        db = await open_database(current)
        app.state.db = db
        app.state.repos = repositories(db)
        app.state.reads = PostgresJsonReads(db, count_cache_s=current.api_count_cache_s)
        feed = None
        if current.api_response_cache_mb > 0:
            feed = ChangeFeed(current.database_url)
            feed.start()
            app.state.feed = feed
            app.state.cache = ResponseCache(
                feed, max_bytes=current.api_response_cache_mb * 1024 * 1024
            )
        try:
            yield
        finally:
            app.state.repos = None
            app.state.reads = None
            app.state.cache = None
            app.state.feed = None
            if feed is not None:
                await feed.stop()
            await db.close()

    app = FastAPI(
        title="Kalshi workbench API",
        version=API_VERSION,
        summary="Read-only access to markets, history, backtests and ingestion health.",
        description="Prices are JSON numbers in dollars (0.52); lists are JSON arrays with the "
        'total in the `X-Total-Count` header; errors are `{"detail": ...}`.',
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.include_router(api_router)
    app.include_router(health.router)
    install_error_handlers(app)
    if settings.api_fast_path:
        # Innermost of ours: CORS and the request timeout apply to its answers too.
        app.add_middleware(HotPathMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.api_cors_origins),
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["X-Total-Count"],
        max_age=600,
    )
    app.add_middleware(RequestTimeoutMiddleware, timeout_s=settings.api_db_timeout_s + 1.0)
    return app


app = create_app()
