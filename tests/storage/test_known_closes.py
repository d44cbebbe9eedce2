"""Contract: from when the close of a market written after the fact was known (real PostgreSQL).

`known_close` (the rule): a market the source says cannot close early has its close known from
its open (`open_time`, else `created_time`); any other (it may close early, or the source does
not say) only at its close. `HistoryRepository.record_known_closes` adds that row to
`market_close_times` only where it adds knowledge: not when the history already has a row at or
before that time (an observed market, a close of unknown age), not when the close was seen to
change, not when the stored close differs from the given one, not in the future; and a second
call adds nothing. The triggers' rows (the live path) are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from kalshi_core.closes import ClosesRecorded, KnownClose, known_close
from kalshi_core.models import Market
from kalshi_core.storage.database import Database, Repositories

T0 = datetime(2025, 11, 8, tzinfo=UTC)
HOUR = timedelta(hours=1)
OPEN, CLOSE, SEEN = T0, T0 + 5 * HOUR, T0 + 30 * 24 * HOUR  # stored a month after the close
MINUS_INFINITY = datetime.min.replace(tzinfo=UTC)

History = list[tuple[datetime, datetime | None]]


async def history(repos: Repositories, ticker: str) -> History:
    return (await repos.markets.close_time_history([ticker])).get(ticker, [])


# --- the rule -----------------------------------------------------------------------------------


def test_a_close_that_cannot_come_early_is_known_from_the_open() -> None:
    assert known_close("A", CLOSE, can_close_early=False, open_time=OPEN) == KnownClose(
        "A", CLOSE, OPEN, scheduled=True
    )
    # no open time: the creation time stands in for it
    created = OPEN - HOUR
    got = known_close("A", CLOSE, can_close_early=False, open_time=None, created_time=created)
    assert got == KnownClose("A", CLOSE, created, scheduled=True)
    # both given: the open
    got = known_close("A", CLOSE, can_close_early=False, open_time=OPEN, created_time=created)
    assert got is not None
    assert got.known_from == OPEN


@pytest.mark.parametrize(
    ("can_close_early", "open_time", "created_time"),
    [
        (True, OPEN, None),  # may close early: the final close is news
        (None, OPEN, None),  # the source does not say
        (False, None, None),  # scheduled, but from when is not given
        (False, CLOSE + HOUR, None),  # an open after the close is no open to know it from
    ],
)
def test_any_other_close_is_known_only_at_the_close(
    can_close_early: bool | None, open_time: datetime | None, created_time: datetime | None
) -> None:
    got = known_close(
        "A",
        CLOSE,
        can_close_early=can_close_early,
        open_time=open_time,
        created_time=created_time,
    )
    assert got == KnownClose("A", CLOSE, CLOSE, scheduled=False)


def test_no_close_no_row() -> None:
    assert known_close("A", None, can_close_early=False, open_time=OPEN) is None


# --- recording it -------------------------------------------------------------------------------


async def store_after_the_fact(
    repos: Repositories, market: Callable[..., Market], ticker: str, **kw: object
) -> Market:
    """A market written a month after its close, as an import or a backfill writes it."""
    fields: dict[str, object] = {
        "status": "finalized",
        "open_time": OPEN,
        "close_time": CLOSE,
        "updated_at": SEEN,
        **kw,
    }
    m = market(ticker, **fields)
    await repos.markets.upsert_markets([m])
    return m


async def test_rows_go_before_the_triggers_row_and_a_second_call_adds_nothing(
    repos: Repositories, clean_db: Database, market: Callable[..., Market]
) -> None:
    await store_after_the_fact(repos, market, "KXKC-25-SCHED")
    await store_after_the_fact(repos, market, "KXKC-25-EARLY", can_close_early=True)
    closes = [
        KnownClose("KXKC-25-SCHED", CLOSE, OPEN, scheduled=True),
        KnownClose("KXKC-25-EARLY", CLOSE, CLOSE, scheduled=False),
    ]
    assert await repos.history.record_known_closes(closes) == ClosesRecorded(1, 1)
    assert await history(repos, "KXKC-25-SCHED") == [(OPEN, CLOSE), (SEEN, CLOSE)]
    assert await history(repos, "KXKC-25-EARLY") == [(CLOSE, CLOSE), (SEEN, CLOSE)]

    assert await repos.history.record_known_closes(closes) == ClosesRecorded(0, 0)
    assert await history(repos, "KXKC-25-SCHED") == [(OPEN, CLOSE), (SEEN, CLOSE)]
    # later metadata moving the close is still recorded by the trigger, after these rows
    moved = market(
        "KXKC-25-SCHED",
        status="finalized",
        open_time=OPEN,
        close_time=CLOSE + HOUR,
        updated_at=SEEN + HOUR,
    )
    await repos.markets.upsert_markets([moved])
    assert (await history(repos, "KXKC-25-SCHED"))[-1] == (SEEN + HOUR, CLOSE + HOUR)


async def test_an_observed_market_keeps_its_history(
    repos: Repositories, clean_db: Database, market: Callable[..., Market]
) -> None:
    # live polling saw it before its open (metadata stamped then): nothing is claimed earlier
    seen_early = OPEN - HOUR
    await store_after_the_fact(repos, market, "KXKC-25-LIVE", updated_at=seen_early)
    # and one seen while trading, whose close then moved: it was not fixed from the open
    await store_after_the_fact(
        repos, market, "KXKC-25-MOVED", close_time=CLOSE - HOUR, updated_at=OPEN + HOUR
    )
    await store_after_the_fact(repos, market, "KXKC-25-MOVED", updated_at=OPEN + 2 * HOUR)
    before = {t: await history(repos, t) for t in ("KXKC-25-LIVE", "KXKC-25-MOVED")}
    assert before["KXKC-25-MOVED"] == [(OPEN + HOUR, CLOSE - HOUR), (OPEN + 2 * HOUR, CLOSE)]

    recorded = await repos.history.record_known_closes(
        [
            KnownClose("KXKC-25-LIVE", CLOSE, OPEN, scheduled=True),
            KnownClose("KXKC-25-MOVED", CLOSE, OPEN, scheduled=True),
        ]
    )
    assert recorded == ClosesRecorded(0, 0)
    assert {t: await history(repos, t) for t in before} == before


async def test_unknown_age_other_close_future_or_unknown_market_add_nothing(
    repos: Repositories, clean_db: Database, market: Callable[..., Market]
) -> None:
    await store_after_the_fact(repos, market, "KXKC-25-OLD")
    async with clean_db.acquire() as conn:  # a close stored before migration 0005
        await conn.execute(
            "UPDATE market_close_times SET known_from = '-infinity' WHERE market_id = "
            "(SELECT id FROM markets WHERE ticker = 'KXKC-25-OLD')"
        )
    await store_after_the_fact(repos, market, "KXKC-25-OTHER")
    now = datetime.now(UTC)
    await store_after_the_fact(
        repos, market, "KXKC-25-OPEN", status="active", close_time=now + HOUR, updated_at=None
    )
    recorded = await repos.history.record_known_closes(
        [
            KnownClose("KXKC-25-OLD", CLOSE, OPEN, scheduled=True),
            # the stored close is not the one given (a dump row older than the stored market)
            KnownClose("KXKC-25-OTHER", CLOSE + HOUR, OPEN, scheduled=True),
            # still open: its close has not happened
            KnownClose("KXKC-25-OPEN", now + HOUR, now + HOUR, scheduled=False),
            KnownClose("KXKC-25-NOPE", CLOSE, OPEN, scheduled=True),
        ]
    )
    assert recorded == ClosesRecorded(0, 0)
    assert await history(repos, "KXKC-25-OLD") == [(MINUS_INFINITY, CLOSE)]
    assert await history(repos, "KXKC-25-OTHER") == [(SEEN, CLOSE)]
    assert len(await history(repos, "KXKC-25-OPEN")) == 1


async def test_a_claim_after_the_close_is_refused(
    repos: Repositories, clean_db: Database, market: Callable[..., Market]
) -> None:
    await store_after_the_fact(repos, market, "KXKC-25-BAD")
    with pytest.raises(ValueError, match=r"KXKC-25-BAD: known_from .* is after its close"):
        await repos.history.record_known_closes(
            [KnownClose("KXKC-25-BAD", CLOSE, CLOSE + HOUR, scheduled=False)]
        )
    assert await history(repos, "KXKC-25-BAD") == [(SEEN, CLOSE)]
