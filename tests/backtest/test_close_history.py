"""Contract: the favourite strategy reads the close the metadata gave at each bar, never one
announced later.

- A close moved earlier (or an early close) fires nothing in the bars before the move was known,
  and changing or adding history entries after bar t changes no signal at bars <= t.
- Bars before the first history entry know no close.
- Without a history (metadata built in memory) the market's close_time counts as known at
  every bar.
- Fills still stop at the actual close.
- The strategy's entries equal those of the plain-Python reference on random histories.
- Through the repositories (real PostgreSQL), `load_quotes` carries the stored history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtest.builders import Case, at, cases, make_quotes
from kalshi_core.backtest import load_quotes, run_backtest
from kalshi_core.backtest.quotes import MarketMeta, QuoteArrays
from kalshi_core.backtest.reference import favourite_entries
from kalshi_core.backtest.strategies import compute_signals
from kalshi_core.models import Market, MarketSnapshot
from kalshi_core.storage.database import Database, Repositories

MINUS_INFINITY = datetime.min.replace(tzinfo=UTC)
N_BARS = 80
# Bars are minutes: the scheduled close is at bar 72. At bar 36 the metadata moves it to bar 48.
# A 30-bar window then fires at bars 36..47 only. The final close alone (bar 48) would fire from
# bar 18 on, 18 bars before anyone knew the market would close that early.
WINDOW = {"lo": "0.85", "hi": "0.97", "hours_to_close": 0.5}
MOVED = ((MINUS_INFINITY, at(72)), (at(36), at(48)))


def favourite_bars(meta: MarketMeta, n_bars: int = N_BARS) -> list[int]:
    q = make_quotes([0.88] * n_bars, [0.90] * n_bars, meta=[meta])
    _, sig = compute_signals(q, "favourite", WINDOW)
    return [int(t) for t in np.flatnonzero(sig.entries[:, 0])]


def test_a_close_moved_earlier_fires_only_once_the_move_is_known() -> None:
    meta = MarketMeta(ticker="KX-A", result="yes", close_time=at(48), close_times=MOVED)
    assert favourite_bars(meta) == list(range(36, 48))


def test_a_close_moved_later_keeps_the_earlier_close_until_the_move() -> None:
    meta = MarketMeta(
        ticker="KX-A", close_time=at(72), close_times=((at(0), at(40)), (at(30), at(72)))
    )
    assert favourite_bars(meta) == [*range(10, 30), *range(42, 72)]


def test_without_history_the_close_time_is_known_at_every_bar() -> None:
    assert favourite_bars(MarketMeta(ticker="KX-A", close_time=at(48))) == list(range(18, 48))


def test_bars_before_the_first_entry_know_no_close() -> None:
    meta = MarketMeta(ticker="KX-A", close_time=at(48), close_times=((at(40), at(48)),))
    assert favourite_bars(meta) == list(range(40, 48))
    meta = MarketMeta(ticker="KX-A", close_time=at(48), close_times=())
    assert favourite_bars(meta) == []


def test_a_close_withdrawn_stops_the_signal() -> None:
    meta = MarketMeta(ticker="KX-A", close_times=((at(0), at(48)), (at(20), None)))
    assert favourite_bars(meta) == [18, 19]


def test_history_must_be_in_order() -> None:
    with pytest.raises(ValueError, match="known_from order"):
        MarketMeta(ticker="KX-A", close_times=((at(5), at(48)), (at(5), at(40))))


def test_fills_stop_at_the_actual_close_and_entries_wait_for_the_move() -> None:
    meta = MarketMeta(
        ticker="KX-A", result="yes", close_time=at(48), settlement_time=at(50), close_times=MOVED
    )
    q = make_quotes([0.88] * N_BARS, [0.90] * N_BARS, meta=[meta])
    assert q.close_idx[0] == 48  # the exchange's close, not what was known when
    res = run_backtest(q, "favourite", WINDOW)
    assert res.num_trades == 1
    assert res.trades[0].entry_time >= at(36)
    assert res.trades[0].exit_reason == "settlement"


def with_meta(q: QuoteArrays, meta: list[MarketMeta]) -> QuoteArrays:
    return QuoteArrays(
        index=q.index, tickers=q.tickers, bid=q.bid, ask=q.ask, bid_size=q.bid_size,
        ask_size=q.ask_size, last=q.last, mark=q.mark, meta=tuple(meta),
    )  # fmt: skip


@st.composite
def close_history(draw: st.DrawFn, n_bars: int) -> tuple[tuple[datetime, datetime | None], ...]:
    known = sorted(draw(st.sets(st.integers(-3, n_bars + 3), max_size=4)))
    closes = draw(
        st.lists(
            st.one_of(st.none(), st.integers(-2, n_bars + 20)),
            min_size=len(known),
            max_size=len(known),
        )
    )
    entries = [(at(k), None if c is None else at(c)) for k, c in zip(known, closes, strict=True)]
    since_ever = draw(st.booleans())
    if entries and since_ever:
        entries[0] = (MINUS_INFINITY, entries[0][1])  # as the migration backfills
    return tuple(entries)


def with_histories(case: Case, data: st.DataObject) -> QuoteArrays:
    q = case.quotes
    metas = [
        m.model_copy(
            update={"close_times": data.draw(st.one_of(st.none(), close_history(q.n_bars)))}
        )
        for m in q.meta
    ]
    return with_meta(q, metas)


# (lo, hi, hours_to_close): hours that are exact binary fractions, so a close exactly at the
# window's edge means the same to the engine's nanoseconds and the reference's timedelta.
BANDS = st.sampled_from(
    [
        (Decimal("0.3"), Decimal("0.9"), 0.25),
        (Decimal("0.01"), Decimal("0.99"), 0.5),
        (Decimal("0.5"), Decimal("0.5"), 1.0),
    ]
)
Band = tuple[Decimal, Decimal, float]


def params_of(band: Band) -> dict[str, object]:
    return {"lo": band[0], "hi": band[1], "hours_to_close": band[2]}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(max_bars=60), data=st.data(), band=BANDS)
def test_favourite_matches_the_reference(case: Case, data: st.DataObject, band: Band) -> None:
    q = with_histories(case, data)
    _, sig = compute_signals(q, "favourite", params_of(band))
    want = favourite_entries(q, *band)
    assert sig.entries.tolist() == want


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(max_bars=60), data=st.data(), band=BANDS)
def test_a_close_announced_after_bar_t_changes_no_signal_up_to_t(
    case: Case, data: st.DataObject, band: Band
) -> None:
    q = with_histories(case, data)
    t = data.draw(st.integers(0, q.n_bars - 1))
    _, before = compute_signals(q, "favourite", params_of(band))
    altered = []
    for m in q.meta:
        # What was known up to bar t, as a history: without one, close_time is known throughout.
        known = m.close_times if m.close_times is not None else ((MINUS_INFINITY, m.close_time),)
        kept = tuple(e for e in known if e[0] <= at(t))
        bars = sorted(data.draw(st.sets(st.integers(t + 1, q.n_bars + 3), max_size=3)))
        added = tuple((at(b), at(data.draw(st.integers(0, q.n_bars + 20)))) for b in bars)
        # The final close is whatever the later metadata says, as it is after an early close.
        final = at(data.draw(st.integers(0, q.n_bars + 20)))
        altered.append(m.model_copy(update={"close_times": (*kept, *added), "close_time": final}))
    _, after = compute_signals(with_meta(q, altered), "favourite", params_of(band))
    np.testing.assert_array_equal(before.entries[: t + 1], after.entries[: t + 1])


# --- through the repositories ------------------------------------------------------------------

START = (datetime.now(UTC) - timedelta(hours=3)).replace(second=0, microsecond=0)


async def test_load_quotes_carries_the_stored_close_history(
    repos: Repositories, clean_db: Database
) -> None:
    def minute(m: int) -> datetime:
        return START + timedelta(minutes=m)

    scheduled = Market(
        ticker="KXCLH-A-1",
        event_ticker="KXCLH-A",
        series_ticker="KXCLH",
        status="active",
        close_time=minute(72),
        updated_at=minute(-60),
    )
    await repos.markets.upsert_markets([scheduled])
    moved = scheduled.model_copy(update={"close_time": minute(48), "updated_at": minute(36)})
    await repos.markets.upsert_markets([moved])
    await repos.markets.save_many(
        [
            MarketSnapshot(
                market_ticker="KXCLH-A-1",
                timestamp=minute(0),
                sequence=1,
                yes_bid=Decimal("0.88"),
                yes_ask=Decimal("0.90"),
                last_price=Decimal("0.88"),
                yes_bid_size=Decimal(100),
                yes_ask_size=Decimal(100),
            )
        ]
    )
    q = await load_quotes(repos, ["KXCLH-A-1"], START, minute(N_BARS), freq="1min", staleness="3h")
    assert q.meta[0].close_times == ((minute(-60), minute(72)), (minute(36), minute(48)))
    _, sig = compute_signals(q, "favourite", WINDOW)
    assert np.flatnonzero(sig.entries[:, 0]).tolist() == list(range(36, 48))
