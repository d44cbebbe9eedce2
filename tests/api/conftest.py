"""Fixtures for the API tests: the app over HTTP (httpx + ASGITransport, lifespan run) on the
session's real PostgreSQL database, and builders that seed it through the repositories."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI

from kalshi_api.main import create_app
from kalshi_core.models import Event, Series
from kalshi_core.settings import Settings
from kalshi_core.storage.database import Repositories
from tests.builders import T0, build_market, build_snapshot

ORIGIN = "http://127.0.0.1:5173"


def api_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "api_count_cache_s": 0,
        # Tests write and read back at once; the NOTIFY-invalidated cache is eventually
        # consistent by milliseconds, so it is on only where a test waits for it
        # (test_changes.py, the schemathesis run).
        "api_response_cache_mb": 0,
        "api_db_timeout_s": 5.0,
        "db_pool_min": 1,
        "db_pool_max": 4,
        "api_cors_origins": [ORIGIN],
        "log_json": True,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on `app` with its lifespan (database pool) running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client


ServeFn = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest_asyncio.fixture(loop_scope="session")
async def client(database_url: str, clean_db: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The API on an empty database (every test starts from TRUNCATEd tables)."""
    async with serve(create_app(api_settings(database_url))) as c:
        yield c


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# the API tests build data with the same builders as the storage tests
snapshot = build_snapshot
market = build_market


async def seed_catalogue(repos: Repositories) -> None:
    """Two series, three events, five markets with quotes (one market without any)."""
    await repos.series.upsert_many(
        [
            Series(ticker="KXA", title="Series A", fee_multiplier=Decimal("0.5")),
            Series(ticker="KXB", title="Series B", tags=["weather"]),
        ]
    )
    await repos.events.upsert_many(
        [
            Event(event_ticker="KXA-E1", series_ticker="KXA", title="Event A1"),
            Event(event_ticker="KXA-E2", series_ticker="KXA", title="Event A2"),
            Event(event_ticker="KXB-E1", series_ticker="KXB", title="Event B1"),
        ]
    )
    await repos.markets.upsert_markets(
        [
            market("KXA-E1-M1", title="Rain in Paris?", close_time=T0 + timedelta(days=3)),
            market("KXA-E1-M2", title="Snow in Oslo?", close_time=T0 + timedelta(days=1)),
            market("KXA-E2-M1", title="100% sure_thing", status="finalized"),
            market("KXB-E1-M1", title="Sun in Rome?", close_time=T0 + timedelta(days=2)),
            market("KXB-E1-M2", title="Wind in Perth?"),
            market("KXB-E1-M3", title="No quote yet"),
        ]
    )
    await repos.markets.save_many(
        [
            snapshot("KXA-E1-M1", 0, "0.5600", "0.5700", "0.5500", volume="300.00"),
            snapshot("KXA-E1-M2", 0, "0.1000", "0.1200", "0.1100", volume="50.00"),
            snapshot("KXA-E2-M1", 0, "0", "1", "0.9900", volume="700.00"),
            snapshot("KXB-E1-M1", 0, "0.3000", "0.3300", "0.3100", volume="300.00"),
            snapshot("KXB-E1-M2", 0, "0.7000", "0.7400", "0.7200", volume="10.00"),
        ]
    )
