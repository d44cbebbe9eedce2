"""Contract: the markets-list response cache is invalidated by the data, never serves stale data.

Protects: migration 0004's triggers send `kalshi_market_data` on every write to `markets` and
`market_latest` (ingestion's save_many, metadata upserts, TRUNCATE); a markets page is answered
from memory while the data version holds (proved by breaking the route: the page still comes back)
and recomputed once a write commits; while the API is not listening (its LISTEN connection killed)
or the triggers are missing, nothing is served from the cache; and the feed reconnects by itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from kalshi_api.changes import CHANNEL, ChangeFeed, ResponseCache
from kalshi_api.deps import get_reads
from kalshi_api.errors import ApiNotReadyError
from kalshi_api.main import create_app
from kalshi_core.storage.database import Repositories
from tests.api.conftest import api_settings, market, seed_catalogue, serve, snapshot

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAGE = "/api/v1/markets?limit=10"


async def _until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


def _feed(app: FastAPI) -> ChangeFeed:
    feed: ChangeFeed = app.state.feed
    return feed


def _break_routes(app: FastAPI) -> None:
    async def broken() -> None:
        raise ApiNotReadyError("route path taken")

    app.dependency_overrides[get_reads] = broken


@pytest_asyncio.fixture(loop_scope="session")
async def cached_app(
    database_url: str, clean_db: object, repos: Repositories
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    await seed_catalogue(repos)
    app = create_app(api_settings(database_url, api_response_cache_mb=8))
    async with serve(app) as client:
        await asyncio.wait_for(_feed(app).listening.wait(), 10)
        yield app, client


async def test_every_write_to_market_data_notifies(
    database_url: str, clean_db: object, repos: Repositories
) -> None:
    conn = await asyncpg.connect(database_url)
    got: list[str] = []
    try:
        await conn.add_listener(CHANNEL, lambda *args: got.append(args[3]))
        await repos.markets.upsert_markets([market("KXN-E1-M1")])
        await _until(lambda: "markets" in got)
        await repos.markets.save_many([snapshot("KXN-E1-M1", 0, "0.40", "0.42", "0.41")])
        await _until(lambda: "market_latest" in got)
        got.clear()
        await conn.execute("TRUNCATE market_latest CASCADE")
        await _until(lambda: "market_latest" in got)
    finally:
        await conn.close()


async def test_page_served_from_memory_until_the_data_changes(
    cached_app: tuple[FastAPI, httpx.AsyncClient], repos: Repositories
) -> None:
    app, client = cached_app
    first = await client.get(PAGE)
    assert first.status_code == 200
    _break_routes(app)
    again = await client.get(PAGE)
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers["x-total-count"] == first.headers["x-total-count"]
    # Another query string was never computed: it goes to the (broken) route.
    assert (await client.get(PAGE + "&offset=1")).status_code == 503

    app.dependency_overrides.clear()
    before = _feed(app).version
    await repos.markets.save_many([snapshot("KXA-E1-M1", 1, "0.6100", "0.6300", "0.6200")])
    await _until(lambda: _feed(app).version != before)
    fresh = await client.get(PAGE)
    item = next(i for i in fresh.json() if i["market_ticker"] == "KXA-E1-M1")
    assert (item["yes_bid"], item["yes_price"]) == (0.61, 0.62)


async def test_nothing_cached_while_not_listening(
    cached_app: tuple[FastAPI, httpx.AsyncClient], database_url: str
) -> None:
    app, client = cached_app
    assert _feed(app).version is not None
    assert (await client.get(PAGE)).status_code == 200
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'kalshi_api_changes' AND datname = current_database()"
        )
    finally:
        await admin.close()
    await _until(lambda: _feed(app).version is None)
    _break_routes(app)
    assert (await client.get(PAGE)).status_code == 503  # recomputed, not served from memory
    app.dependency_overrides.clear()
    # ... and it comes back by itself.
    await _until(lambda: _feed(app).version is not None)
    assert (await client.get(PAGE)).status_code == 200


async def _feed_found_no_triggers(database_url: str, old_pids: set[int]) -> bool:
    """The feed's new connection has run the trigger check and is idle after it: it found the
    triggers missing (with them it would have gone on to LISTEN)."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT pid, state, query FROM pg_stat_activity "
            "WHERE application_name = 'kalshi_api_changes' AND datname = current_database()"
        )
    finally:
        await conn.close()
    return any(
        r["pid"] not in old_pids and r["state"] == "idle" and "pg_trigger" in r["query"]
        for r in rows
    )


async def test_nothing_cached_without_the_triggers(
    cached_app: tuple[FastAPI, httpx.AsyncClient], database_url: str
) -> None:
    app, client = cached_app
    # Caching works to begin with: the page comes from memory while the routes are broken.
    assert _feed(app).version is not None
    assert (await client.get(PAGE)).status_code == 200
    _break_routes(app)
    assert (await client.get(PAGE)).status_code == 200
    app.dependency_overrides.clear()

    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute("DROP TRIGGER market_latest_notify_change ON market_latest")
        # Drop the listener: the feed reconnects and checks the triggers again.
        killed = await admin.fetch(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'kalshi_api_changes' AND datname = current_database()"
        )
        assert killed, "the change feed had no connection"
        old_pids = {r["pid"] for r in killed}
        deadline = time.monotonic() + 10
        while not await _feed_found_no_triggers(database_url, old_pids):
            assert time.monotonic() < deadline, "the feed did not reconnect and check triggers"
            await asyncio.sleep(0.05)
        assert _feed(app).version is None
        assert not _feed(app).listening.is_set()
        assert (await client.get(PAGE)).status_code == 200  # would be stored if caching
        _break_routes(app)
        assert (await client.get(PAGE)).status_code == 503  # recomputed, not from memory
    finally:
        app.dependency_overrides.clear()
        await admin.execute(
            "CREATE TRIGGER market_latest_notify_change "
            "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON market_latest "
            "FOR EACH STATEMENT EXECUTE FUNCTION kalshi_notify_market_data()"
        )
        await admin.close()


async def test_cache_bounds_and_versions() -> None:
    class Feed:
        version: int | None = 1

    feed = Feed()
    cache = ResponseCache(feed, max_bytes=1000)  # type: ignore[arg-type]
    cache.put("a", 1, b"x" * 200, {"X-Total-Count": "3"})
    cache.put("b", 1, b"y" * 200, {})
    hit = cache.get("a")
    assert hit is not None
    assert hit.headers == ((b"x-total-count", b"3"),)
    cache.put("too-big", 1, b"z" * 300, {})  # over a quarter of the budget: not kept
    assert cache.get("too-big") is None
    for i in range(10):
        cache.put(i, 1, b"w" * 200, {})
    assert len(cache) <= 5
    cache.put("old", 0, b"o", {})  # computed at an older version: never stored
    assert cache.get("old") is None
    feed.version = 2
    assert cache.get(9) is None
    assert len(cache) == 0
    feed.version = None
    cache.put("c", None, b"c", {})
    assert cache.get("c") is None


async def test_unchanged_page_revalidates_as_304(
    cached_app: tuple[FastAPI, httpx.AsyncClient], repos: Repositories
) -> None:
    app, client = cached_app
    first = await client.get(PAGE)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    _break_routes(app)  # from memory, below FastAPI
    same = await client.get(PAGE, headers={"If-None-Match": etag})
    assert (same.status_code, same.content, same.headers["etag"]) == (304, b"", etag)
    assert (await client.get(PAGE, headers={"If-None-Match": '"other"'})).status_code == 200
    app.dependency_overrides.clear()
    before = _feed(app).version
    await repos.markets.save_many([snapshot("KXA-E1-M1", 2, "0.6400", "0.6600", "0.6500")])
    await _until(lambda: _feed(app).version != before)
    changed = await client.get(PAGE, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
