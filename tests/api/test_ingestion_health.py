"""Contract: ingestion health tells "not running" apart from "failing while running".

Protects: the hours the workbench was stopped (recorded by the next run as backlog `missed`
ticks, "no run polled this tick", or not recorded at all) and the ticks a late-starting run
passed before its first attempt are gaps of kind `not_running` and never make a tier degraded or
failing, in `/api/v1/ingestion/status` or in `/health` (which stays 200); ticks a running poller
attempted and lost (errors, ticks it fell behind on) are gaps of kind `failed` and make the tier
degraded, or failing once everything it attempted for `stale_after_s` failed; a tier with no
polled tick for `stale_after_s` is `not_running`, and `/health` says so with a 200. The backlog
text the API recognises is the one the poller writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import pytest

from kalshi_api.ingestion_health import TickClassifier, words
from kalshi_core.models import IngestPoll
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.postgres.poll_ticks import PollTickRow, PostgresPollTickReader
from kalshi_pipeline.lib.poll_grid import PollGrid
from kalshi_pipeline.lib.poller import _record_backlog

S = timedelta(seconds=5)
Status = Literal["ok", "missed", "error"]
GRID = PollGrid(tier="watchlist", interval_s=5, window_s=300)


def last_full_tick() -> datetime:
    """The newest 5 s grid tick that is certainly over (the current one may be in flight)."""
    now = datetime.now(UTC)
    return datetime.fromtimestamp(int(now.timestamp()) // 5 * 5, tz=UTC) - S


def polls(
    ticks: Iterable[datetime], status: Status = "ok", run_id: str | None = "run-a", **kw: Any
) -> list[IngestPoll]:
    return [IngestPoll(tier="watchlist", tick=t, status=status, run_id=run_id, **kw) for t in ticks]


def span(first: datetime, last: datetime) -> list[datetime]:
    """Grid ticks from `first` to `last`, both included."""
    return GRID.ticks(first, last + timedelta(microseconds=1))


async def watchlist(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get("/api/v1/ingestion/status")
    assert r.status_code == 200
    tier: dict[str, Any] = next(t for t in r.json()["tiers"] if t["tier"] == "watchlist")
    return tier


async def health_of_watchlist(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    tier: dict[str, Any] = next(f for f in r.json()["ingestion"] if f["tier"] == "watchlist")
    return tier


async def test_a_restart_after_hours_off_is_not_failing(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    last = last_full_tick()
    window_start = GRID.window_start(last - timedelta(minutes=10))
    # run-a polled 10 minutes, then the workbench was off for about three hours.
    before = span(window_start - timedelta(hours=3, minutes=10), window_start - timedelta(hours=3))
    await repos.polls.record_many(polls(before, run_id="run-a"))
    # run-b starts: the poller marks the ticks nobody polled, exactly as in production...
    await _record_backlog(GRID, window_start, repos.polls, "run-b")
    # ...starts late in its window (its first six ticks passed before it could start)...
    late = span(window_start, window_start + 5 * S)
    await repos.polls.record_many(
        polls(late, "missed", "run-b", error="tick passed before it could start")
    )
    # ...and polls fine since.
    await repos.polls.record_many(polls(span(window_start + 6 * S, last), run_id="run-b"))

    rows = await PostgresPollTickReader(repos.db).ticks("watchlist", before[-1] + S, window_start)
    assert len(rows) > 2000
    assert all(r.backlog and r.status == "missed" for r in rows)  # the poller's own text

    watch = await watchlist(client)
    assert watch["status"] == "ok"
    hour = watch["last_hour"]
    assert hour["ratio"] < 0.5  # most of the last hour was lost...
    assert hour["failed"] == 0  # ...but not by a running poller
    assert hour["not_running"] > 500
    assert hour["running_ratio"] == 1.0
    assert hour["expected"] == hour["ok"] + hour["not_running"] + hour["pending"]
    [gap] = hour["gaps"]
    assert gap["kind"] == "not_running"
    assert datetime.fromisoformat(gap["end"]) == late[-1]
    assert any(r.startswith("not running for") for r in watch["reasons"])
    assert not any("fail" in r for r in watch["reasons"])
    today = watch["today"]
    assert today["failed"] == 0
    assert all(g["kind"] == "not_running" for g in today["gaps"])
    assert datetime.fromisoformat(watch["last_live_tick"]) == last

    h = await health_of_watchlist(client)
    assert h["status"] == "ok"
    assert any("not running" in r for r in h["reasons"])


async def test_ticks_lost_while_running_degrade_then_fail(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    last = last_full_tick()
    ticks = span(last - timedelta(minutes=30), last)
    errors = set(ticks[100:103])
    behind = set(ticks[200:202])  # run-a fell behind: missed after it had started polling
    await repos.polls.record_many(
        polls(t for t in ticks if t not in errors and t not in behind)
        + polls(errors, "error", error="HTTP 503 from Kalshi")
        + polls(behind, "missed", error="tick passed before it could start")
    )
    watch = await watchlist(client)
    assert watch["status"] == "degraded"
    hour = watch["last_hour"]
    assert (hour["failed"], hour["errors"]) == (5, 3)
    failed = [g for g in hour["gaps"] if g["kind"] == "failed"]
    assert [datetime.fromisoformat(g["start"]) for g in failed] == [ticks[100], ticks[200]]
    assert "5 ticks failed in the last hour (3 errors, 2 missed while running)" in watch["reasons"]
    assert (await health_of_watchlist(client))["status"] == "degraded"


async def test_a_running_poller_whose_ticks_all_fail_is_failing(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    last = last_full_tick()
    ticks = span(last - timedelta(minutes=30), last)
    # Everything since two minutes ago failed (longer than stale_after_s = 60 s): failing.
    recent = [t for t in ticks if t > last - timedelta(minutes=2)]
    await repos.polls.record_many(
        polls(t for t in ticks if t not in recent)
        + polls(recent, "error", error="HTTP 503 from Kalshi")
    )
    watch = await watchlist(client)
    assert watch["stale_after_s"] == 60
    assert watch["status"] == "failing"
    assert any(r.startswith("failing: every tick for") for r in watch["reasons"])
    assert watch["last_hour"]["gaps"][-1]["kind"] == "failed"
    assert (await health_of_watchlist(client))["status"] == "failing"


async def test_a_short_error_run_after_a_restart_is_degraded_not_failing(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    # Off since long ago; the new run's first three ticks error: a running poller that has not
    # failed for stale_after_s yet, with hours-old last ok tick.
    last = last_full_tick()
    await repos.polls.record_many(polls(span(last - timedelta(hours=5), last - timedelta(hours=4))))
    await repos.polls.record_many(polls(span(last - 2 * S, last), "error", "run-b", error="boom"))
    watch = await watchlist(client)
    assert watch["status"] == "degraded"
    kinds = [g["kind"] for g in watch["last_hour"]["gaps"]]
    assert kinds == ["not_running", "failed"]


async def test_nothing_polled_for_a_while_is_not_running(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    last = last_full_tick()
    stopped = last - timedelta(minutes=10)
    await repos.polls.record_many(polls(span(stopped - timedelta(minutes=20), stopped)))
    watch = await watchlist(client)
    assert watch["status"] == "not_running"
    # The test settings name no watchlist: the tier is disabled, and the reasons say so first.
    assert watch["enabled"] is False
    assert watch["reasons"] == [
        "no watchlist configured (WATCHLIST_SERIES/EVENTS/TICKERS are empty)",
        "not running: nothing polled for 10 min",
    ]
    gap = watch["last_hour"]["gaps"][-1]
    assert gap["kind"] == "not_running"
    assert datetime.fromisoformat(gap["start"]) == stopped + S
    h = await health_of_watchlist(client)  # still 200: the API serves what it has
    assert h["status"] == "not_running"

    # Never polled at all: not running either (the catalogue here, automatic cadence).
    r = await client.get("/health")
    cat = next(f for f in r.json()["ingestion"] if f["tier"] == "catalogue")
    assert cat["status"] == "not_running"
    assert cat["enabled"] is True
    assert cat["reasons"][0] == "not running: nothing polled in the last hour"


def row(t: datetime, status: str = "ok", run: str | None = "r1") -> PollTickRow:
    return PollTickRow(t, status, run, backlog=False)


def test_an_unrecorded_tick_inside_a_running_run_is_failed() -> None:
    t0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    now = t0 + timedelta(minutes=5)
    rows = [row(t0), row(t0 + S), row(t0 + 4 * S), row(t0 + 5 * S, run="r2")]
    c = TickClassifier(rows, now, 5)
    assert c.kind(t0 + 2 * S) == "failed"  # r1 on both sides, live: its record was lost
    assert c.kind(t0 + 4 * S + S / 5) == "not_running"  # off the grid: nobody's tick
    assert c.kind(t0 + 6 * S) == "not_running"  # after r2's only tick: nothing recorded
    assert c.kind(now - S) == "pending"  # may still be in flight
    # A missed row without a run id is a running poller's, unless it is a backlog mark.
    assert c.row_kind(row(t0, "missed", None)) == "failed"
    assert c.row_kind(PollTickRow(t0, "missed", None, backlog=True)) == "not_running"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (600, "10 min"), (11_100, "3 h 5 min"), (2 * 86_400 + 4 * 3600, "2 d 4 h")],
)
def test_durations_in_words(seconds: float, text: str) -> None:
    assert words(seconds) == text
