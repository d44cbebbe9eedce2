"""Contract: health, ingestion status and database failures over HTTP.

Protects: `/health` is 200 while the database answers and reports ingestion freshness (age of the
last ok tick) without failing on stale ingestion; with the database unreachable (a closed port)
the app still starts, `/health` is 503 JSON and data endpoints are 503 JSON, never 500; with a
database that accepts connections but never answers, requests end in 503 instead of hanging;
`/api/v1/ingestion/status` reports per tier the last tick, coverage over the last hour and today
(expected/ok/missed/errors and gap runs) and recent errors, all computed from `ingest_polls`.
"""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta

import httpx

from kalshi_api.main import create_app
from kalshi_core.models import IngestPoll
from kalshi_core.storage.database import Repositories
from tests.api.conftest import api_settings, closed_port, serve


async def test_health_ok_with_fresh_and_stale_ingestion(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert {f["tier"]: f["last_ok_tick"] for f in body["ingestion"]} == {
        "watchlist": None,
        "catalogue": None,
    }
    now = datetime.now(UTC)
    stale = (now - timedelta(days=2)).replace(microsecond=0)
    await repos.polls.record_many(
        [
            IngestPoll(tier="watchlist", tick=stale, status="ok"),
            IngestPoll(tier="watchlist", tick=stale + timedelta(seconds=5), status="error"),
        ]
    )
    r = await client.get("/health")
    assert r.status_code == 200  # stale ingestion informs, it does not fail the check
    watch = next(f for f in r.json()["ingestion"] if f["tier"] == "watchlist")
    assert datetime.fromisoformat(watch["last_ok_tick"]) == stale
    assert watch["age_s"] >= 2 * 86400


async def test_database_unreachable_is_503(database_url: str) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/kalshi"
    app = create_app(api_settings(url, api_db_timeout_s=3.0))
    async with serve(app) as client:
        r = await client.get("/health")
        assert r.status_code == 503
        assert r.json()["status"] == "unavailable"
        assert r.json()["database"] == "unavailable"
        for path in (
            "/api/v1/markets",
            "/api/v1/markets/KXA-1",
            "/api/v1/markets/KXA-1/history",
            "/api/v1/events",
            "/api/v1/series/KXA",
            "/api/v1/backtests/1",
            "/api/v1/ingestion/status",
        ):
            r = await client.get(path)
            assert r.status_code == 503, path
            assert r.headers["content-type"] == "application/json"
            assert r.json()["detail"].startswith("database unavailable"), path
        # Validation still answers without the database.
        assert (await client.get("/api/v1/markets?limit=0")).status_code == 422


async def test_silent_database_is_503_not_a_hang() -> None:
    # A listener that never accepts: TCP connects (backlog), PostgreSQL's greeting never comes.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    try:
        app = create_app(
            api_settings(f"postgresql://postgres@127.0.0.1:{port}/x", api_db_timeout_s=0.5)
        )
        async with serve(app) as client:
            r = await asyncio.wait_for(client.get("/api/v1/markets/KXA-1"), timeout=30)
            assert r.status_code == 503
            assert r.json()["detail"].startswith("database unavailable")
            r = await asyncio.wait_for(client.get("/health"), timeout=30)
            assert r.status_code == 503
    finally:
        listener.close()


async def test_ingestion_status(client: httpx.AsyncClient, repos: Repositories) -> None:
    now = datetime.now(UTC)
    # The last full 5 s grid tick, and 20 ticks before it: 17 ok, 1 error, 2 missing.
    last = datetime.fromtimestamp(int(now.timestamp()) // 5 * 5, tz=UTC) - timedelta(seconds=5)
    ticks = [last - timedelta(seconds=5 * i) for i in range(21)]
    polls = []
    for i, tick in enumerate(ticks):
        if i in (3, 4):
            continue  # missed: never recorded
        status = "error" if i == 7 else "ok"
        polls.append(
            IngestPoll(
                tier="watchlist",
                tick=tick,
                status=status,
                error="HTTP 503 from Kalshi" if status == "error" else None,
                markets_seen=10,
            )
        )
    await repos.polls.record_many(polls)
    r = await client.get("/api/v1/ingestion/status")
    assert r.status_code == 200
    tiers = {t["tier"]: t for t in r.json()["tiers"]}
    watch = tiers["watchlist"]
    assert watch["interval_s"] == 5
    assert datetime.fromisoformat(watch["last_tick"]["tick"]) == last
    assert datetime.fromisoformat(watch["last_ok_tick"]) == last
    hour = watch["last_hour"]
    assert hour["expected"] == 720
    assert hour["ok"] == 18
    assert hour["errors"] == 1
    assert hour["missed"] == 720 - 18 - 1
    gap_starts = {datetime.fromisoformat(g["start"]) for g in hour["gaps"]}
    assert ticks[4] in gap_starts  # the two missing ticks form one run
    assert ticks[7] in gap_starts  # the error tick is a gap of its own
    [error] = watch["recent_errors"]
    assert error["error"] == "HTTP 503 from Kalshi"
    assert datetime.fromisoformat(error["tick"]) == ticks[7]
    today = watch["today"]
    assert today["ok"] <= 18  # ticks before midnight are not today's
    assert today["start"].startswith(now.date().isoformat())

    cat = tiers["catalogue"]  # automatic cadence and no ticks: coverage unknown
    assert cat["interval_s"] is None
    assert cat["last_hour"] is None
    assert cat["last_tick"] is None
    assert cat["recent_errors"] == []


async def test_catalogue_cadence_is_inferred_from_its_ticks(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    now = datetime.now(UTC)
    last = datetime.fromtimestamp(int(now.timestamp()) // 30 * 30, tz=UTC) - timedelta(seconds=30)
    await repos.polls.record_many(
        [IngestPoll(tier="catalogue", tick=last - timedelta(seconds=30 * i)) for i in range(5)]
    )
    r = await client.get("/api/v1/ingestion/status")
    cat = next(t for t in r.json()["tiers"] if t["tier"] == "catalogue")
    assert cat["interval_s"] == 30
    assert cat["last_hour"]["expected"] == 120
    assert cat["last_hour"]["ok"] == 5
