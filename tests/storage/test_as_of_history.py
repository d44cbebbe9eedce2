"""Contract: the stored history is as-of exact whatever order the tiers' commits arrive in.

Protects (issue 11.2): change-only storage written by two tiers (or two window runs of one tier)
whose commits arrive out of time order must store exactly what writing every observation in time
order stores, so "the quote at t" is the last observation that had arrived by t. Also: an
observation too old to place is refused and counted, never written over later observations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kalshi_core.storage.database import Database, Repositories
from kalshi_core.storage.postgres.snapshot_writer import SEEN_LIMIT
from kalshi_core.storage.repositories import SaveReport
from kalshi_core.units import micros_to_price
from tests.builders import T0, build_snapshot

pytestmark = pytest.mark.usefixtures("clean_db")


async def _rows(db: Database, ticker: str) -> list[tuple[float, Decimal]]:
    """(seconds after T0, yes_bid) of the stored rows of `ticker`, oldest first."""
    async with db.acquire() as conn:
        rows = await conn.fetch(
            "SELECT h.observed_at, h.yes_bid FROM market_snapshots h"
            " JOIN markets m ON m.id = h.market_id WHERE m.ticker = $1 ORDER BY h.observed_at",
            ticker,
        )
    return [((r["observed_at"] - T0).total_seconds(), micros_to_price(r["yes_bid"])) for r in rows]


async def test_late_tick_of_a_slower_tier_keeps_the_later_observation(
    db: Database, repos: Repositories
) -> None:
    # watchlist sees A at t0 and again at t0+10 (unchanged: nothing stored); a catalogue page that
    # arrived at t0+5 with quote C commits only afterwards
    await repos.markets.save_many([build_snapshot("KXA-1", 0, bid="0.40")])
    await repos.markets.save_many([build_snapshot("KXA-1", 10, bid="0.40")])
    late = await repos.markets.save_many([build_snapshot("KXA-1", 5, bid="0.55")])

    assert await _rows(db, "KXA-1") == [
        (0.0, Decimal("0.40")),
        (5.0, Decimal("0.55")),
        (10.0, Decimal("0.40")),  # what the watchlist showed at t0+10 is not lost
    ]
    assert late.restored == 1
    latest = await repos.markets.get_latest("KXA-1")
    assert latest is not None
    assert latest.snapshot.yes_bid == Decimal("0.40")
    assert latest.snapshot.timestamp == T0 + timedelta(seconds=10)
    assert latest.changed_at == T0 + timedelta(seconds=10)


async def test_late_row_equal_to_the_next_change_takes_its_place(
    db: Database, repos: Repositories
) -> None:
    # A@0, then B@10 stored; a late B@5 means B was already showing at 5: the B@10 row goes
    await repos.markets.save_many([build_snapshot("KXA-1", 0, bid="0.40")])
    await repos.markets.save_many([build_snapshot("KXA-1", 10, bid="0.60")])
    late = await repos.markets.save_many([build_snapshot("KXA-1", 5, bid="0.60")])
    assert await _rows(db, "KXA-1") == [(0.0, Decimal("0.40")), (5.0, Decimal("0.60"))]
    assert late.dropped == 1
    latest = await repos.markets.get_latest("KXA-1")
    assert latest is not None
    assert latest.changed_at == T0 + timedelta(seconds=5)


async def test_observation_older_than_the_recent_list_is_refused(
    db: Database, repos: Repositories
) -> None:
    for i in range(SEEN_LIMIT + 2):
        await repos.markets.save_many([build_snapshot("KXA-1", 10 * (i + 1), bid="0.40")])
    before = await _rows(db, "KXA-1")
    report = await repos.markets.save_many([build_snapshot("KXA-1", 15, bid="0.90")])
    assert report == SaveReport(
        received=1, written=0, unchanged=0, duplicates=0, too_late=1, restored=0, dropped=0
    )
    assert await _rows(db, "KXA-1") == before


async def test_rewritten_late_tick_changes_nothing(db: Database, repos: Repositories) -> None:
    await repos.markets.save_many([build_snapshot("KXA-1", 0, bid="0.40")])
    await repos.markets.save_many([build_snapshot("KXA-1", 10, bid="0.40")])
    await repos.markets.save_many([build_snapshot("KXA-1", 5, bid="0.55")])
    rows = await _rows(db, "KXA-1")
    again = await repos.markets.save_many([build_snapshot("KXA-1", 5, bid="0.55")])
    assert again.duplicates == 1
    assert again.written == 0
    assert await _rows(db, "KXA-1") == rows


# --- property: any interleaving of two tiers' commits == writing in time order ----------------

TICKERS = ("KXP-1", "KXP-2", "KXP-3")
BIDS = ("0.10", "0.20", "0.30")


@dataclass(frozen=True)
class Tick:
    """One commit: each market observed at most once, at its own arrival time (seconds)."""

    observations: tuple[tuple[str, int, str], ...]  # (ticker, ms after T0, bid)


@st.composite
def tiers_and_order(draw: st.DrawFn) -> tuple[list[Tick], list[int]]:
    ticks: list[Tick] = []
    used: set[int] = set()
    for tier_offset, step in ((0, 5_000), (1_700, 15_000)):  # watchlist 5 s, catalogue 15 s
        for k in range(draw(st.integers(1, 5 if step == 15_000 else 8))):
            obs = []
            for ticker in draw(st.sets(st.sampled_from(TICKERS), min_size=1)):
                at = tier_offset + k * step + draw(st.integers(0, 4_000))
                while at in used:  # one arrival per market and time
                    at += 1
                used.add(at)
                obs.append((ticker, at, draw(st.sampled_from(BIDS))))
            ticks.append(Tick(tuple(sorted(obs))))
    order = draw(st.permutations(range(len(ticks))))
    return ticks, list(order)


def _expected(ticks: Sequence[Tick], ticker: str) -> list[tuple[float, Decimal]]:
    """Change-only history of every observation written one at a time in time order."""
    seen = sorted((at, bid) for t in ticks for (tk, at, bid) in t.observations if tk == ticker)
    out: list[tuple[float, Decimal]] = []
    for at, bid in seen:
        if not out or out[-1][1] != Decimal(bid):
            out.append((at / 1000, Decimal(bid)))
    return out


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=tiers_and_order())
async def test_any_commit_order_gives_the_time_order_history(
    db: Database, repos: Repositories, case: tuple[list[Tick], list[int]]
) -> None:
    ticks, order = case
    async with db.acquire() as conn:
        await conn.execute(
            "TRUNCATE market_snapshots, market_latest, market_coverage, markets CASCADE"
        )
    for i in order:
        batch = [
            build_snapshot(tk, T0 + timedelta(milliseconds=at), bid=bid)
            for tk, at, bid in ticks[i].observations
        ]
        report = await repos.markets.save_many(batch)
        assert report.too_late == 0
    for ticker in TICKERS:
        assert await _rows(db, ticker) == _expected(ticks, ticker), ticker
        observed = [at for t in ticks for (tk, at, _b) in t.observations if tk == ticker]
        latest = await repos.markets.get_latest(ticker)
        if not observed:
            assert latest is None
            continue
        assert latest is not None
        last_at, last_bid = max(
            (at, b) for t in ticks for (tk, at, b) in t.observations if tk == ticker
        )
        assert latest.snapshot.timestamp == T0 + timedelta(milliseconds=last_at)
        assert latest.snapshot.yes_bid == Decimal(last_bid)
        assert latest.changed_at == T0 + timedelta(seconds=_expected(ticks, ticker)[-1][0])
