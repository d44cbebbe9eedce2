"""Contract: `kalshi_api.hotpath` answers exactly what the FastAPI routes answer.

Protects: the same request to an app with the hot path and to one without it gives the same
status, body, content type and X-Total-Count, for valid, unknown, malformed and hostile tickers
and limits (the hot path either answers itself or passes the request to the route, which must
then produce the 404/422); and that the hot path really answers single markets and histories
itself (with the route's dependency broken, they still succeed), while what it does not parse
(start/end) still goes through the route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kalshi_api.deps import get_reads
from kalshi_api.errors import ApiNotReadyError
from kalshi_api.main import create_app
from kalshi_core.storage.database import Repositories
from tests.api.conftest import api_settings, seed_catalogue, serve

pytestmark = pytest.mark.asyncio(loop_scope="session")

Pair = tuple[httpx.AsyncClient, httpx.AsyncClient]

PATHS = [
    "/api/v1/markets/KXA-E1-M1",
    "/api/v1/markets/KXB-E1-M3",  # market without a quote: 404
    "/api/v1/markets/NOPE",
    "/api/v1/markets/kxa-e1-m1",
    "/api/v1/markets/KXA-E1-M1?",
    "/api/v1/markets/KXA-E1-M1?foo=bar",
    "/api/v1/markets/" + quote("KXA'; DROP TABLE markets; --"),
    "/api/v1/markets/" + quote("Ünïcödé-тикер-🚀"),
    "/api/v1/markets/%00",
    "/api/v1/markets/a%0Ab",
    "/api/v1/markets/a%0A",
    "/api/v1/markets/" + "A" * 200,
    "/api/v1/markets/" + "A" * 201,
    "/api/v1/markets/KXA-E1-M1/",
    "/api/v1/markets/",
    "/api/v1/markets/KXA-E1-M1/history",
    "/api/v1/markets/KXA-E1-M1/history?limit=1",
    "/api/v1/markets/KXA-E1-M1/history?limit=10000",
    "/api/v1/markets/KXA-E1-M1/history?limit=10001",
    "/api/v1/markets/KXA-E1-M1/history?limit=0",
    "/api/v1/markets/KXA-E1-M1/history?limit=00002",
    "/api/v1/markets/KXA-E1-M1/history?limit=-1",
    "/api/v1/markets/KXA-E1-M1/history?limit=1.0",
    "/api/v1/markets/KXA-E1-M1/history?limit=",
    "/api/v1/markets/KXA-E1-M1/history?limit=5&limit=1",
    "/api/v1/markets/KXA-E1-M1/history?limit=99999999999999999999999",
    "/api/v1/markets/KXA-E1-M1/history?start=2026-01-01T00:00:00Z",
    "/api/v1/markets/KXA-E1-M1/history?limit=2&end=2026-01-01T00:00:00",
    "/api/v1/markets/NOPE/history",
    "/api/v1/markets/NOPE/history?limit=abc",
    "/api/v1/markets/KXB-E1-M3/history",
    "/api/v1/markets/" + "A" * 201 + "/history",
    "/api/v1/markets/KXA-E1-M1/history/x",
    "/api/v1/markets",
    "/api/v1/markets?limit=2&offset=1",
    "/api/v1/markets?limit=0",
    "/api/v1/markets?series=KXA&sort=volume&order=desc",
]


@pytest_asyncio.fixture(loop_scope="session")
async def pair(database_url: str, clean_db: object, repos: Repositories) -> AsyncIterator[Pair]:
    await seed_catalogue(repos)
    with_hot = create_app(api_settings(database_url, api_fast_path=True))
    without = create_app(api_settings(database_url, api_fast_path=False))
    async with serve(with_hot) as hot, serve(without) as plain:
        yield hot, plain


async def _same(pair: Pair, path: str) -> httpx.Response:
    hot, plain = pair
    a, b = await hot.get(path), await plain.get(path)
    assert (a.status_code, a.content) == (b.status_code, b.content), path
    assert a.headers.get("content-type") == b.headers.get("content-type"), path
    assert a.headers.get("x-total-count") == b.headers.get("x-total-count"), path
    assert a.status_code < 500, path
    return a


@pytest.mark.parametrize("path", PATHS)
async def test_hot_path_answers_like_the_routes(pair: Pair, path: str) -> None:
    await _same(pair, path)


async def test_hot_path_answers_with_cors_headers(pair: Pair) -> None:
    hot, plain = pair
    origin = {"Origin": "http://127.0.0.1:5173"}
    a = await hot.get("/api/v1/markets/KXA-E1-M1", headers=origin)
    b = await plain.get("/api/v1/markets/KXA-E1-M1", headers=origin)
    assert a.status_code == 200
    assert a.headers["access-control-allow-origin"] == b.headers["access-control-allow-origin"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ticker=st.text(min_size=0, max_size=210),
    limit=st.one_of(st.none(), st.integers(-5, 20_000).map(str), st.text(max_size=8)),
)
async def test_any_ticker_and_limit_answer_like_the_routes(
    pair: Pair, ticker: str, limit: str | None
) -> None:
    path = "/api/v1/markets/" + quote(ticker, safe="")
    await _same(pair, path)
    query = "" if limit is None else "?limit=" + quote(limit, safe="")
    await _same(pair, path + "/history" + query)


async def test_hot_path_serves_markets_and_history_without_the_routes(
    database_url: str, clean_db: object, repos: Repositories
) -> None:
    await seed_catalogue(repos)
    app = create_app(api_settings(database_url))

    async def broken() -> None:
        raise ApiNotReadyError("route path taken")

    app.dependency_overrides[get_reads] = broken
    async with serve(app) as client:
        market = await client.get("/api/v1/markets/KXA-E1-M1")
        assert market.status_code == 200
        assert market.json()["market_ticker"] == "KXA-E1-M1"
        history = await client.get("/api/v1/markets/KXA-E1-M1/history?limit=5")
        assert history.status_code == 200
        assert [p["market_ticker"] for p in history.json()] == ["KXA-E1-M1"]
        assert (await client.get("/api/v1/markets/NOPE")).status_code == 404
        # Not parsed by the hot path: the (broken) route answers.
        routed = await client.get("/api/v1/markets/KXA-E1-M1/history?start=2020-01-01T00:00:00Z")
        assert routed.status_code == 503
