"""Contract: `IngestPollRepository` on real PostgreSQL: one row per (tier, tick), coverage on
the wall-clock grid (expected/ok/missed/errors, gap runs, last tick), bulk marking of missed
ticks, and polls recorded atomically with their tick by `save_many`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from kalshi_core.models import IngestPoll, MarketSnapshot
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.postgres.polls import grid_ticks
from kalshi_core.storage.repositories import IngestPollRepository

pytestmark = pytest.mark.usefixtures("clean_db")

W0 = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
S = timedelta(seconds=5)


def test_satisfies_protocol(repos: Repositories) -> None:
    assert isinstance(repos.polls, IngestPollRepository)


def test_grid_ticks() -> None:
    assert grid_ticks(W0, W0 + 3 * S, 5) == [W0, W0 + S, W0 + 2 * S]
    # A start off the grid begins at the next grid tick; end is exclusive.
    assert grid_ticks(W0 + timedelta(milliseconds=1), W0 + 2 * S, 5) == [W0 + S]
    assert grid_ticks(W0 - timedelta(seconds=3), W0 + S, 5) == [W0]
    assert grid_ticks(W0, W0, 5) == []
    with pytest.raises(ValueError, match="naive"):
        grid_ticks(datetime(2026, 1, 1), W0, 5)


async def test_record_replaces_by_tier_and_tick(repos: Repositories) -> None:
    await repos.polls.record(IngestPoll(tick=W0, status="error", error="boom", retries=2))
    await repos.polls.record(IngestPoll(tick=W0, status="ok", rows_written=7, run_id="r1"))
    await repos.polls.record(IngestPoll(tier="catalogue", tick=W0, status="missed"))
    [row] = await repos.polls.recorded_ticks("watchlist", W0, W0 + S)
    assert row.status == "ok"
    assert row.error is None
    assert row.rows_written == 7
    assert row.run_id == "r1"
    last = await repos.polls.last("catalogue")
    assert last is not None
    assert last.status == "missed"
    assert await repos.polls.last("watchlist") is not None
    with pytest.raises(ValueError, match="naive"):
        await repos.polls.record(IngestPoll.model_construct(tick=datetime(2026, 1, 1)))


async def test_coverage_and_gaps(repos: Repositories) -> None:
    # 12 grid ticks in [W0, W0+60s): ok except 2-4 missed (3 ticks), 7 error, 9-10 absent.
    statuses = {
        0: "ok",
        1: "ok",
        2: "missed",
        3: "missed",
        4: "missed",
        5: "ok",
        6: "ok",
        7: "error",
        8: "ok",
        11: "ok",
    }
    await repos.polls.record_many(
        [IngestPoll(tick=W0 + i * S, status=st) for i, st in statuses.items()]
    )
    # Rows of another tier or outside the window do not count.
    await repos.polls.record(IngestPoll(tier="catalogue", tick=W0 + 9 * S, status="ok"))
    await repos.polls.record(IngestPoll(tick=W0 + 12 * S, status="ok"))
    cov = await repos.polls.coverage("watchlist", W0, W0 + 12 * S, 5)
    assert cov.expected == 12
    assert cov.ok == 6
    assert cov.errors == 1
    assert cov.missed == 5  # 3 recorded missed + 2 never recorded
    assert cov.gaps == [
        (W0 + 2 * S, W0 + 4 * S),
        (W0 + 7 * S, W0 + 7 * S),
        (W0 + 9 * S, W0 + 10 * S),
    ]
    assert cov.last_tick == W0 + 11 * S
    assert cov.ratio == pytest.approx(0.5)

    catalogue = await repos.polls.coverage("catalogue", W0, W0 + 10 * S, 15)
    assert catalogue.expected == 4  # :00, :15, :30, :45
    assert catalogue.ok == 1  # the :45 tick recorded above
    assert catalogue.gaps == [(W0, W0 + 6 * S)]
    assert catalogue.last_tick == W0 + 9 * S

    empty = await repos.polls.coverage("catalogue", W0, W0 + 9 * S, 15)
    assert (empty.expected, empty.ok, empty.missed, empty.last_tick) == (3, 0, 3, None)


async def test_record_many_marks_missed_ticks(repos: Repositories) -> None:
    ticks = [W0 + i * S for i in range(100)]
    assert (
        await repos.polls.record_many([IngestPoll(tick=t, status="missed") for t in ticks]) == 100
    )
    assert await repos.polls.record_many([]) == 0
    cov = await repos.polls.coverage("watchlist", W0, W0 + 100 * S, 5)
    assert (cov.expected, cov.ok, cov.missed) == (100, 0, 100)
    assert cov.gaps == [(W0, W0 + 99 * S)]


async def test_poll_recorded_with_its_tick(
    repos: Repositories, snap: Callable[..., MarketSnapshot]
) -> None:
    tick = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
    poll = IngestPoll(tick=tick, started_at=tick, finished_at=tick + S, retries=1, http_429s=1)
    await repos.markets.save_many([snap("KXA-1", tick), snap("KXA-2", tick)], poll=poll)
    [row] = await repos.polls.recorded_ticks("watchlist", tick, tick + S)
    assert row.rows_written == 2
    assert row.markets_seen == 2
    assert row.http_429s == 1
    assert row.finished_at == tick + S


async def test_ok_tick_is_never_downgraded(repos: Repositories) -> None:
    await repos.polls.record(IngestPoll(tick=W0, status="ok", markets_seen=3, run_id="r1"))
    await repos.polls.record(IngestPoll(tick=W0, status="missed", error="no run polled this tick"))
    await repos.polls.record_many([IngestPoll(tick=W0, status="error", error="late")])
    [row] = await repos.polls.recorded_ticks("watchlist", W0, W0 + S)
    assert (row.status, row.error, row.markets_seen, row.run_id) == ("ok", None, 3, "r1")


async def test_error_keeps_its_detail_over_a_later_missed(repos: Repositories) -> None:
    await repos.polls.record(IngestPoll(tick=W0, status="error", error="HTTP 503", retries=4))
    await repos.polls.record(IngestPoll(tick=W0, status="missed", error="no run polled this tick"))
    [row] = await repos.polls.recorded_ticks("watchlist", W0, W0 + S)
    assert (row.status, row.error, row.retries) == ("error", "HTTP 503", 4)
    # and an ok commit of the tick still upgrades it
    await repos.polls.record(IngestPoll(tick=W0, status="ok"))
    [row] = await repos.polls.recorded_ticks("watchlist", W0, W0 + S)
    assert row.status == "ok"
