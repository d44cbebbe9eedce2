"""Contract: one poll window commits every grid tick atomically through the repositories
(real PostgreSQL), records each tick in ingest_polls (ok / missed / error), resumes a retried
window without duplicates, and records the ticks nobody polled as missed."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kalshi_core.kalshi import CallStats, KalshiHTTPError
from kalshi_core.models import IngestPoll, Market, MarketSnapshot
from kalshi_core.storage.database import Database, Repositories
from kalshi_core.storage.repositories import RawPage
from kalshi_pipeline.lib.poll_grid import PollGrid
from kalshi_pipeline.lib.poller import (
    INGESTION_GC_GEN0_THRESHOLD,
    poll_window,
    tune_gc_for_ingestion,
)

W0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
GRID = PollGrid("watchlist", 5, 60)


@dataclass
class FakeScan:
    markets: list[Market]
    snapshots: list[MarketSnapshot]
    raw_pages: list[Any] = field(default_factory=list)
    requests: int = 1
    retries: int = 0
    http_429s: int = 0
    complete: bool = True


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        return self.t

    async def sleep(self, s: float) -> None:
        self.t += timedelta(seconds=s)


def _storm() -> KalshiHTTPError:
    """What the client raises once a 429 storm outlasts its retries: with the call's stats."""
    exc = KalshiHTTPError("GET /markets", 429, "gave up after 6 attempts; last failure: HTTP 429")
    exc.stats = CallStats(requests=6, retries=5, http_429s=6)
    return exc


def scanner(
    n_markets: int,
    fail_at: set[datetime] | None = None,
    moving: bool = True,
    error: Any = None,
    crossed_at: set[datetime] | None = None,
) -> Any:
    tickers = [f"KXTEST-26NOV27-B{i}" for i in range(n_markets)]
    markets = [Market(ticker=t, event_ticker="KXTEST-26NOV27", status="active") for t in tickers]

    async def scan(tick: datetime, sequence: int) -> FakeScan:
        if fail_at and tick in fail_at:
            raise error() if error else RuntimeError("HTTP 503 from /markets")
        step = int((tick - W0).total_seconds()) // 5 if moving else 0
        snaps = [
            MarketSnapshot(
                market_ticker=t,
                timestamp=tick,
                sequence=sequence,
                # only even markets move, so change-only storage has something to skip
                yes_bid=Decimal("0.40") + (Decimal("0.01") * (step % 10) if i % 2 == 0 else 0),
                yes_ask=Decimal("0.60"),
                last_price=Decimal("0.50"),
                volume=Decimal(100 + step),
            )
            for i, t in enumerate(tickers)
        ]
        if crossed_at and tick in crossed_at:
            snaps[0] = snaps[0].model_copy(update={"yes_bid": Decimal("0.70")})
        page = RawPage(fetched_at=tick, endpoint="GET /markets", body=b'{"markets":[]}')
        return FakeScan(markets, snaps, raw_pages=[page])

    return scan


async def run(repos: Repositories, clock: Clock, scan: Any, raw_every_s: int = 0) -> Any:
    return await poll_window(
        raw_pages_every_s=raw_every_s,
        grid=GRID,
        window_start=W0,
        scan=scan,
        markets=repos.markets,
        polls=repos.polls,
        run_id="test-run",
        now=clock.now,
        sleep=clock.sleep,
    )


@pytest.mark.usefixtures("clean_db")
async def test_window_commits_every_tick(repos: Repositories, db: Database) -> None:
    clock = Clock(W0 - timedelta(seconds=3))
    report = await run(repos, clock, scanner(6))
    assert [o.status for o in report.outcomes] == ["ok"] * 12
    polls = await repos.polls.recorded_ticks("watchlist", W0, W0 + timedelta(seconds=60))
    assert len(polls) == 12
    assert all(p.status == "ok" and p.markets_seen == 6 for p in polls)
    async with db.acquire() as conn:
        rows = await conn.fetchval("SELECT count(*) FROM market_snapshots")
        dupes = await conn.fetchval(
            "SELECT count(*) FROM (SELECT market_id, observed_at FROM market_snapshots "
            "GROUP BY 1, 2 HAVING count(*) > 1) d"
        )
    # volume moves every tick for every market, so every market writes every tick
    assert rows == report.rows_written == 72
    assert dupes == 0


@pytest.mark.usefixtures("clean_db")
async def test_retried_window_resumes_without_duplicates(repos: Repositories, db: Database) -> None:
    clock = Clock(W0 - timedelta(seconds=1))
    first = await run(repos, clock, scanner(4))
    clock2 = Clock(W0 - timedelta(seconds=1))
    second = await run(repos, clock2, scanner(4))
    assert second.count("skipped") == 12
    assert second.rows_written == 0
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM market_snapshots") == first.rows_written


@pytest.mark.usefixtures("clean_db")
async def test_late_start_records_missed_ticks(repos: Repositories) -> None:
    clock = Clock(W0 + timedelta(seconds=21))
    report = await run(repos, clock, scanner(2))
    statuses = [o.status for o in report.outcomes]
    # ticks :00-:15 passed more than one interval ago; :20 is still in its slot
    assert statuses[:4] == ["missed"] * 4
    assert statuses[4:] == ["ok"] * 8
    polls = await repos.polls.recorded_ticks("watchlist", W0, W0 + timedelta(seconds=60))
    assert sorted(p.status for p in polls).count("missed") == 4


@pytest.mark.usefixtures("clean_db")
async def test_failed_tick_is_recorded_and_window_goes_on(repos: Repositories) -> None:
    bad = {W0 + timedelta(seconds=10)}
    report = await run(repos, Clock(W0), scanner(3, fail_at=bad))
    assert report.count("error") == 1
    assert report.count("ok") == 11
    polls = {
        p.tick: p
        for p in await repos.polls.recorded_ticks("watchlist", W0, W0 + timedelta(minutes=1))
    }
    assert polls[W0 + timedelta(seconds=10)].status == "error"
    assert "503" in (polls[W0 + timedelta(seconds=10)].error or "")


@pytest.mark.usefixtures("clean_db")
async def test_tick_lost_to_429s_still_reports_them(repos: Repositories) -> None:
    bad = {W0 + timedelta(seconds=10)}
    report = await run(repos, Clock(W0), scanner(3, fail_at=bad, error=_storm))
    lost = next(o for o in report.outcomes if o.status == "error")
    assert (lost.retries, lost.http_429s) == (5, 6)
    polls = {
        p.tick: p
        for p in await repos.polls.recorded_ticks("watchlist", W0, W0 + timedelta(minutes=1))
    }
    assert (
        polls[W0 + timedelta(seconds=10)].retries,
        polls[W0 + timedelta(seconds=10)].http_429s,
    ) == (5, 6)


@pytest.mark.usefixtures("clean_db")
async def test_unchanged_quotes_write_no_rows(repos: Repositories) -> None:
    report = await run(repos, Clock(W0), scanner(5, moving=False))
    assert report.count("ok") == 12
    assert report.rows_written == 5  # first tick only


@pytest.mark.usefixtures("clean_db")
async def test_gap_before_window_is_recorded_as_missed(repos: Repositories) -> None:
    earlier = W0 - timedelta(minutes=3)
    clock = Clock(earlier)
    await poll_window(
        grid=GRID,
        window_start=earlier,
        scan=scanner(1),
        markets=repos.markets,
        polls=repos.polls,
        now=clock.now,
        sleep=clock.sleep,
    )
    await run(repos, Clock(W0), scanner(1))
    gap = await repos.polls.recorded_ticks("watchlist", earlier + timedelta(minutes=1), W0)
    assert len(gap) == 24
    assert {p.status for p in gap} == {"missed"}
    cov = await repos.polls.coverage("watchlist", earlier, W0 + timedelta(minutes=1), 5)
    assert cov.expected == 48
    assert cov.ok == 24


@pytest.mark.usefixtures("clean_db")
async def test_raw_pages_kept_on_their_grid_and_for_anomalies(repos: Repositories) -> None:
    odd = W0 + timedelta(seconds=25)
    await run(repos, Clock(W0), scanner(3, crossed_at={odd}), raw_every_s=20)
    kept = {p.fetched_at for p in await repos.raw_pages.list(W0, W0 + timedelta(minutes=1))}
    # :00, :20, :40 on the 20 s grid, and :25 whose scan saw a crossed quote
    assert kept == {W0 + timedelta(seconds=s) for s in (0, 20, 25, 40)}


@pytest.mark.usefixtures("clean_db")
async def test_every_tick_keeps_its_raw_pages_by_default(repos: Repositories) -> None:
    await run(repos, Clock(W0), scanner(2))
    assert await repos.raw_pages.count(W0, W0 + timedelta(minutes=1)) == 12


def test_gc_threshold_is_raised_never_lowered() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        tune_gc_for_ingestion()
        assert gc.get_threshold() == (INGESTION_GC_GEN0_THRESHOLD, 10, 10)
        gc.set_threshold(50_000, 10, 10)
        tune_gc_for_ingestion()
        assert gc.get_threshold()[0] == 50_000
    finally:
        gc.set_threshold(*saved)


class RacingPolls:
    """The poll repository, with the predecessor's commit of its last tick landing between the
    successor's read of recorded ticks and its marking of the unrecorded ones as missed."""

    def __init__(self, inner: Any, commit: Any, window_start: datetime) -> None:
        self._inner = inner
        self._commit = commit
        self._window_start = window_start

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def recorded_ticks(self, tier: str, start: datetime, end: datetime) -> Any:
        rows = await self._inner.recorded_ticks(tier, start, end)
        if end == self._window_start and start < end:  # the backlog's read
            await self._commit()
        return rows


@pytest.mark.usefixtures("clean_db")
async def test_hand_over_never_downgrades_the_predecessors_ok_tick(repos: Repositories) -> None:
    prev = W0 - timedelta(seconds=GRID.window_s)
    last = W0 - timedelta(seconds=5)
    scan = scanner(2)
    await poll_window(
        grid=GRID,
        window_start=prev,
        scan=scan,
        markets=repos.markets,
        polls=repos.polls,
        now=Clock(prev).now,
        sleep=Clock(prev).sleep,
    )
    # ...but its last tick is still in flight: not recorded yet
    async with repos.db.acquire() as conn:
        await conn.execute("DELETE FROM ingest_polls WHERE tick = $1", last)

    async def predecessor_commits_last_tick() -> None:
        result = await scan(last, 0)
        await repos.markets.save_many(
            result.snapshots,
            poll=IngestPoll(tier="watchlist", tick=last, status="ok", interval_s=5),
        )

    await poll_window(
        grid=GRID,
        window_start=W0,
        scan=scanner(2),
        markets=repos.markets,
        polls=RacingPolls(repos.polls, predecessor_commits_last_tick, W0),  # type: ignore[arg-type]
        now=Clock(W0).now,
        sleep=Clock(W0).sleep,
    )
    [row] = await repos.polls.recorded_ticks("watchlist", last, W0)
    assert row.status == "ok"
