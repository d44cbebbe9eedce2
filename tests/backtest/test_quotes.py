"""Contract: snapshot and candle frames become grid arrays without look-ahead — a quote counts
from its observation time, is forward-filled only up to the staleness limit (then NaN: no fill),
is blanked inside coverage gaps, while `mark` keeps the last observed bid; prices off the $0.0001
tick, bad columns and naive times are refused with a clear error; metadata becomes bar indices."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from backtest.builders import T0, at
from kalshi_core.backtest.kernels import K_PAYOUT, K_VOID, NO_INDEX, UNCAPPED
from kalshi_core.backtest.quotes import (
    MarketMeta,
    QuoteDataError,
    candle_frame_to_snapshot_frame,
    quotes_from_frame,
)
from kalshi_core.models import Event, Market, Series


def snapshot_frame(rows: list[tuple[str, float, float, float, float, float]]) -> pd.DataFrame:
    """rows: (ticker, minute offset, bid, ask, bid_size, ask_size)."""
    return pd.DataFrame(
        {
            "market_ticker": [r[0] for r in rows],
            "observed_at": [at(r[1]) for r in rows],
            "yes_bid": [r[2] for r in rows],
            "yes_ask": [r[3] for r in rows],
            "last_price": [r[2] for r in rows],
            "yes_bid_size": [r[4] for r in rows],
            "yes_ask_size": [r[5] for r in rows],
        }
    )


META = [MarketMeta(ticker="A"), MarketMeta(ticker="B")]


def test_forward_fill_stops_at_the_staleness_limit() -> None:
    frame = snapshot_frame(
        [
            ("A", -2, 0.40, 0.42, 5, 6),  # before start: in force at the first grid time
            ("A", 3, 0.45, 0.47, 7, 8),
            ("B", 1.5, 0.10, 0.12, 1, 2),  # between grid times: counts from minute 2
            ("Z", 0, 0.5, 0.6, 1, 1),  # not in the universe: ignored
        ]
    )
    q = quotes_from_frame(frame, META, start=T0, end=at(10), freq="1min", staleness="3min")
    assert list(q.index) == [pd.Timestamp(at(i)) for i in range(10)]
    np.testing.assert_array_equal(
        q.bid[:, 0], [0.40, 0.40, np.nan, 0.45, 0.45, 0.45, 0.45, np.nan, np.nan, np.nan]
    )
    np.testing.assert_array_equal(q.ask_size[:3, 0], [6, 6, np.nan])  # age 3 min: still fresh
    # The mark never goes stale: it values positions, it never fills.
    np.testing.assert_array_equal(q.mark[:, 0], [0.40, 0.40, 0.40, *[0.45] * 7])
    assert np.isnan(q.bid[:2, 1]).all()
    np.testing.assert_array_equal(q.bid[2:5, 1], [0.10, 0.10, 0.10])
    assert np.isnan(q.bid[5, 1])
    assert q.bid_u[3, 0] == 4500
    assert q.bid_u[2, 0] == -1
    assert q.sizes_capped


def test_quote_observed_exactly_at_a_grid_time_is_used_there_not_before() -> None:
    frame = snapshot_frame([("A", 4, 0.30, 0.31, 1, 1)])
    q = quotes_from_frame(frame, META[:1], start=T0, end=at(6), staleness="10min")
    assert np.isnan(q.bid[:4, 0]).all()
    assert q.bid[4, 0] == 0.30


def test_coverage_gaps_blank_quotes_but_not_the_mark() -> None:
    frame = snapshot_frame([("A", 0, 0.30, 0.31, 1, 1)])
    q = quotes_from_frame(
        frame, META[:1], start=T0, end=at(6), staleness="1h", stale_intervals=[(at(2), at(3))]
    )
    np.testing.assert_array_equal(q.bid[:, 0], [0.30, 0.30, np.nan, np.nan, 0.30, 0.30])
    assert (q.mark[:, 0] == 0.30).all()


def test_missing_sizes_mean_uncapped_and_missing_values_mean_no_depth() -> None:
    frame = snapshot_frame([("A", 0, 0.30, 0.31, np.nan, 4)]).drop(columns=["yes_bid_size"])
    q = quotes_from_frame(frame, META[:1], start=T0, end=at(2))
    assert not q.sizes_capped
    assert q.ask_size_u[0, 0] == UNCAPPED
    frame = snapshot_frame([("A", 0, 0.30, 0.31, np.nan, 4)])
    q = quotes_from_frame(frame, META[:1], start=T0, end=at(2))
    assert q.bid_size[0, 0] == 0
    assert q.ask_size[0, 0] == 4


def test_candle_frame_maps_closes_to_quotes_at_period_end() -> None:
    candles = pd.DataFrame(
        {
            "market_ticker": ["A", "A"],
            "end_time": [at(1), at(2)],
            "yes_bid_close": [0.2, 0.25],
            "yes_ask_close": [0.22, 0.27],
            "price_close": [np.nan, 0.26],
            "volume": [0.0, 3.0],
        }
    )
    frame = candle_frame_to_snapshot_frame(candles)
    q = quotes_from_frame(
        frame, META[:1], start=T0, end=at(3), staleness="1min", data_source="candles"
    )
    assert np.isnan(q.bid[0, 0])
    assert q.bid[1, 0] == 0.2
    assert q.ask[2, 0] == 0.27
    assert q.data_source == "candles"
    assert not q.sizes_capped
    with pytest.raises(QuoteDataError, match="candle frame"):
        candle_frame_to_snapshot_frame(candles.drop(columns=["yes_ask_close"]))


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([("A", 0, 0.12345, 0.2, 1, 1)], r"multiples of \$0.0001"),
        ([("A", 0, 1.2, 0.2, 1, 1)], r"\[0, 1\]"),
        ([("A", 0, 0.1, 0.2, -1, 1)], ">= 0"),
        ([("A", 0, 0.1, 0.2, 1.234, 1)], "0.01 contracts"),
    ],
)
def test_bad_values_are_refused(
    rows: list[tuple[str, float, float, float, float, float]], match: str
) -> None:
    with pytest.raises(QuoteDataError, match=match):
        quotes_from_frame(snapshot_frame(rows), META[:1], start=T0, end=at(2))


def test_bad_frames_and_times_are_refused() -> None:
    with pytest.raises(QuoteDataError, match="lacks columns"):
        quotes_from_frame(pd.DataFrame({"market_ticker": []}), META, start=T0, end=at(2))
    frame = snapshot_frame([("A", 0, 0.1, 0.2, 1, 1)])
    with pytest.raises(QuoteDataError, match="timezone-aware"):
        quotes_from_frame(frame, META, start=T0.replace(tzinfo=None), end=at(2))
    with pytest.raises(QuoteDataError, match="no grid times"):
        quotes_from_frame(frame, META, start=at(2), end=at(2))
    with pytest.raises(QuoteDataError, match="duplicate"):
        quotes_from_frame(frame, [META[0], META[0]], start=T0, end=at(2))


def test_metadata_becomes_bar_indices() -> None:
    meta = [
        MarketMeta(ticker="A", result="yes", close_time=at(3), settlement_time=at(4.5)),
        MarketMeta(ticker="B", result="void", close_time=at(2)),
        MarketMeta(ticker="C", result="scalar", settlement_value=Decimal("0.42")),
        MarketMeta(ticker="D", close_time=at(100), fee_waiver_until=at(2)),
    ]
    frame = snapshot_frame([("A", 0, 0.1, 0.2, 1, 1)])
    q = quotes_from_frame(frame, meta, start=T0, end=at(10))
    assert list(q.close_idx[:2]) == [3, 2]
    assert q.close_idx[2] == NO_INDEX
    assert q.close_idx[3] == q.n_bars  # beyond the grid: tradable throughout
    assert list(q.settle_idx[:2]) == [5, 2]  # settlement at the first bar at/after it
    assert q.settle_idx[2] == NO_INDEX
    assert q.settle_idx[3] == NO_INDEX
    assert list(q.result_kind) == [K_PAYOUT, K_VOID, K_PAYOUT, 0]
    assert list(q.payout_u) == [10_000, 0, 4200, 0]
    assert list(q.fee_free_idx) == [0, 0, 0, 2]
    assert list(q.fee_coef_u) == [7_000_000] * 4
    with pytest.raises(QuoteDataError, match="settlement_value"):
        quotes_from_frame(frame, [MarketMeta(ticker="A", result="scalar")], start=T0, end=at(2))


def test_meta_from_stored_models_prefers_the_event_fee_override() -> None:
    market = Market(
        ticker="KXA-1",
        event_ticker="KXA",
        series_ticker="KXS",
        status="finalized",
        result="no",
        close_time=at(5),
        settlement_ts=at(6),
    )
    series = Series(
        ticker="KXS", fee_type="quadratic_with_maker_fees", fee_multiplier=Decimal("0.5")
    )
    meta = MarketMeta.from_market(market, series)
    assert (meta.result, meta.fee_type, meta.fee_multiplier) == (
        "no",
        "quadratic_with_maker_fees",
        Decimal("0.5"),
    )
    assert meta.settlement_time == at(6)
    event = Event(
        event_ticker="KXA", series_ticker="KXS", fee_type_override="quadratic",
        fee_multiplier_override=Decimal(2),
    )  # fmt: skip
    over = MarketMeta.from_market(market, series, event)
    assert (over.fee_type, over.fee_multiplier) == ("quadratic", Decimal(2))
    open_market = market.model_copy(update={"result": None})
    assert MarketMeta.from_market(open_market).result is None
    assert MarketMeta.from_market(market).settlement_time == at(0) + timedelta(minutes=6)
