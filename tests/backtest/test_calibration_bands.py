"""Contract: the calibration_bands strategy buys at an ask inside its bands ([lo, hi), a band
ending at 1 holding 1) and holds to settlement; its signals at bar t read nothing after t (on
quotes and on trade tapes); its entries equal the reference's, recomputed in Decimal; bad bands
are refused. The real-data report's pieces that keep the test honest: the train calibration
only counts prints whose outcome was known at the split, the band grid comes from it, the NO
side mirrored as a market of its own fills and settles like buying NO, and a close is known to
signals only when it was scheduled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtest.builders import STEP, T0, Case, at, cases, make_quotes, tape_frame, trade_cases
from bench.real_strategy_report import (
    NO_SUFFIX,
    band_grid,
    calibration_table,
    known_at_split,
    made_after_split,
    mirror_calibration_trade,
    mirror_meta,
    mirror_tape,
    positive_bands,
    with_close_rule,
)
from kalshi_core.analysis.calibration import CalibrationTrade
from kalshi_core.backtest.engine import backtest_signals
from kalshi_core.backtest.quotes import MarketMeta, QuoteArrays, quotes_from_trades
from kalshi_core.backtest.reference import calibration_bands_entries, simulate_reference
from kalshi_core.backtest.strategies import StrategyError, compute_signals
from kalshi_core.models import Trade

D = Decimal
Bands = list[tuple[Decimal, Decimal]]
BANDS: list[Bands] = [
    [(D("0.80"), D("0.95"))],
    [(D("0.05"), D("0.10")), (D("0.65"), D("0.80")), (D("0.80"), D("0.90"))],
    [(D("0"), D("0.05")), (D("0.95"), D("1"))],
    [(D("0.3"), D("0.31"))],
]


def entries(q: QuoteArrays, bands: Bands) -> list[bool]:
    _, sig = compute_signals(q, "calibration_bands", {"bands": bands})
    assert not sig.exits.any()  # held to settlement
    assert sig.max_hold_bars == 0
    assert sig.trail_stop == 0
    return [bool(x) for x in sig.entries[:, 0]]


# --- the rule on hand-made quotes ---------------------------------------------------------------


def test_buys_at_an_ask_inside_a_band_lower_edge_in_upper_edge_out() -> None:
    ask = [0.04, 0.05, 0.0999, 0.10, 0.50, 0.80, 0.9499, 0.95, None, 0.85]
    bid = [None if a is None else max(a - 0.02, 0) for a in ask]
    q = make_quotes(bid, ask)
    got = entries(q, [(D("0.05"), D("0.10")), (D("0.80"), D("0.95"))])
    assert got == [False, True, True, False, False, True, True, False, False, True]


def test_a_band_ending_at_one_holds_one_and_a_zero_ask_never_buys() -> None:
    q = make_quotes([0.0, 0.0, 0.9, 0.98], [0.0, 0.03, 0.95, 1.0])
    assert entries(q, [(D("0"), D("0.05")), (D("0.95"), D("1"))]) == [False, True, True, True]


def test_reads_the_ask_not_the_bid() -> None:
    q = make_quotes([0.85, 0.70], [0.90, 0.75])
    assert entries(q, [(D("0.85"), D("0.86"))]) == [False, False]
    assert entries(q, [(D("0.90"), D("0.91"))]) == [True, False]


@pytest.mark.parametrize(
    ("bands", "match"),
    [
        ([], "at least 1"),
        ([("0.9", "0.8")], "lo < hi"),
        ([("0.5", "0.5")], "lo < hi"),
        ([("-0.1", "0.2")], "0 <= lo"),
        ([("0.9", "1.01")], "hi <= 1"),
        ([("0.10005", "0.2")], "multiples of"),
    ],
)
def test_bad_bands_are_refused(bands: list[tuple[str, str]], match: str) -> None:
    q = make_quotes([0.5], [0.6])
    with pytest.raises(StrategyError, match=match):
        compute_signals(q, "calibration_bands", {"bands": bands})


# --- on a trade tape ----------------------------------------------------------------------------

TICKER = "KXBANDS-A"


def prints(*rows: tuple[float, str, str, str | None], ticker: str = TICKER) -> list[Trade]:
    """Prints as (seconds after T0, YES price, contracts, taker side)."""
    return [
        Trade(
            trade_id=f"{ticker}-{k}",
            ticker=ticker,
            created_time=T0 + timedelta(seconds=r[0]),
            yes_price=D(r[1]),
            count=D(r[2]),
            taker_side=r[3],
        )
        for k, r in enumerate(rows)
    ]


def gridded(
    trades: list[Trade], metas: list[MarketMeta], frame: pd.DataFrame | None = None
) -> QuoteArrays:
    return quotes_from_trades(
        tape_frame(trades) if frame is None else frame,
        metas,
        start=T0,
        end=at(10),
        staleness="30min",
        max_wait_bars=5,
    )


def test_on_a_tape_buys_at_the_next_yes_taker_print_and_settles_at_one_dollar() -> None:
    meta = MarketMeta(ticker=TICKER, result="yes", close_time=at(9))
    trades = prints(
        (30, "0.60", "5", "yes"),  # bar 1: last print 0.60, outside the band
        (70, "0.88", "5", "no"),  # bar 2: last print 0.88, in the band: the signal
        (100, "0.87", "5", "yes"),  # bar 2: the signal's own bar, before the order exists
        (150, "0.89", "4", "no"),  # bar 3: a bid, no buy
        (190, "0.90", "4", "yes"),  # bar 4: the first YES-taker print after the signal
    )
    q = gridded(trades, [meta])
    assert entries(q, [(D("0.85"), D("0.95"))])[:5] == [False, False, True, True, True]
    _, sig = compute_signals(q, "calibration_bands", {"bands": [("0.85", "0.95")]})
    res = backtest_signals(q, sig, fill_delay_bars=1, sharpe_freq="1min")
    (trade,) = res.trades
    assert (trade.entry_time, trade.entry_price, trade.contracts) == (at(4), D("0.90"), D(4))
    assert trade.exit_reason == "settlement"
    assert trade.fees == D("0.03")  # 0.07 * 4 * 0.90 * 0.10 = 0.0252, up to the cent
    assert trade.pnl == 4 * (1 - D("0.90")) - D("0.03")
    ref = simulate_reference(q, sig, fill_delay_bars=1, trades=trades)
    assert ref.total_pnl == res.total_pnl


def test_no_look_ahead_on_a_tape_prints_after_t_change_no_signal_up_to_t() -> None:
    meta = MarketMeta(ticker=TICKER, result="no")
    trades = prints(
        (20, "0.70", "3", "yes"),
        (80, "0.82", "3", "no"),
        (200, "0.91", "3", "yes"),
        (330, "0.97", "3", "no"),
        (420, "0.40", "3", "yes"),
        (500, "0.86", "3", "yes"),
    )
    bands = [(D("0.80"), D("0.95"))]
    full = entries(gridded(trades, [meta]), bands)
    for t in range(10):
        known = [p for p in trades if p.created_time <= at(t)]
        later = prints((t * 60 + 1, "0.99", "9", "no"), (t * 60 + 30, "0.10", "9", "yes"))
        assert entries(gridded(known + later, [meta]), bands)[: t + 1] == full[: t + 1]
        assert entries(gridded(known, [meta]), bands)[: t + 1] == full[: t + 1]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=trade_cases(), data=st.data(), bands=st.sampled_from(BANDS))
def test_no_look_ahead_on_random_tapes(case: Case, data: st.DataObject, bands: Bands) -> None:
    q = case.quotes
    assert case.tape is not None
    t = data.draw(st.integers(0, q.n_bars - 1))
    _, before = compute_signals(q, "calibration_bands", {"bands": bands})
    known = [p for p in case.tape if p.created_time <= at(t)]
    cut = quotes_from_trades(
        tape_frame(known), list(q.meta), start=T0, end=at(q.n_bars), freq=pd.Timedelta(STEP),
        staleness=q.staleness, max_wait_bars=q.max_wait_bars,
    )  # fmt: skip
    _, after = compute_signals(cut, "calibration_bands", {"bands": bands})
    np.testing.assert_array_equal(before.entries[: t + 1], after.entries[: t + 1])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.one_of(cases(max_bars=40), trade_cases()), bands=st.sampled_from(BANDS))
def test_entries_match_the_reference(case: Case, bands: Bands) -> None:
    _, sig = compute_signals(case.quotes, "calibration_bands", {"bands": bands})
    assert sig.entries.tolist() == calibration_bands_entries(case.quotes, bands)


# --- the report: the NO side, the train period, the close rule ------------------------------------


def test_the_mirrored_no_side_fills_like_buying_no_and_settles_by_the_flipped_result() -> None:
    meta = MarketMeta(ticker=TICKER, result="no", close_time=at(9))
    trades = prints(
        (30, "0.15", "5", "yes"),  # bar 1: YES at 0.15, so NO last traded at 0.85: the signal
        (70, "0.16", "5", "yes"),  # bar 2: someone bought YES = sold NO: the NO bid, no NO buy
        (130, "0.13", "6", "no"),  # bar 3: someone bought NO at 0.87: the NO ask
    )
    frame = tape_frame(trades)
    both = pd.concat([frame, mirror_tape(frame)], ignore_index=True)
    q = gridded(trades, [meta, mirror_meta(meta)], frame=both)
    assert q.tickers == (TICKER, TICKER + NO_SUFFIX)
    np.testing.assert_allclose(q.fill_ask[:, 1], 1 - q.fill_bid[:, 0])
    np.testing.assert_allclose(q.fill_bid[:, 1], 1 - q.fill_ask[:, 0])
    np.testing.assert_allclose(q.fill_ask_size[:, 1], q.fill_bid_size[:, 0])
    assert q.meta[1].result == "yes"
    _, sig = compute_signals(q, "calibration_bands", {"bands": [("0.80", "0.90")]})
    assert sig.entries[1].tolist() == [False, True]  # the NO side is the favourite
    res = backtest_signals(q, sig, fill_delay_bars=1, sharpe_freq="1min")
    (trade,) = res.trades
    assert trade.market_ticker == TICKER + NO_SUFFIX
    assert (trade.entry_time, trade.entry_price, trade.contracts) == (at(3), D("0.87"), D(6))
    assert trade.exit_price == 1  # the market settled NO: the NO contract pays $1
    assert trade.pnl == 6 * (1 - D("0.87")) - D("0.05")  # ceil(0.07*6*0.87*0.13=0.0475)


def test_a_scalar_no_side_pays_one_minus_the_settlement_value() -> None:
    meta = MarketMeta(ticker=TICKER, result="scalar", settlement_value=D("0.30"))
    no = mirror_meta(meta)
    assert (no.ticker, no.result, no.payout()) == (TICKER + NO_SUFFIX, "scalar", D("0.70"))


def cal_trade(
    ticker: str, minute: int, price: str, result: str, close_minute: int
) -> CalibrationTrade:
    return CalibrationTrade(
        ticker=ticker,
        created_time=at(minute),
        yes_price=D(price),
        count=D(10),
        result=result,
        close_time=at(close_minute),
    )


def test_the_train_calibration_counts_only_outcomes_known_at_the_split() -> None:
    split = at(100)
    rows = [
        cal_trade("A", 10, "0.85", "yes", 60),  # closed before the split: train
        cal_trade("A", 20, "0.88", "yes", 60),
        cal_trade("B", 30, "0.86", "no", 200),  # printed before the split, closes after: neither
        cal_trade("C", 120, "0.87", "no", 200),  # after the split: test
    ]
    assert [t.ticker for t in known_at_split(rows, split)] == ["A", "A"]
    assert [t.ticker for t in made_after_split(rows, split)] == ["C"]
    table = calibration_table(known_at_split(rows, split))
    band = next(b for b in table["bands"] if b["lower"] == "0.80")
    assert (band["observations"], band["markets"], band["win_rate"]) == (2, 1, "1.000000")
    # what happens after the split cannot change the train table
    later = [*rows, cal_trade("A", 130, "0.10", "yes", 60), cal_trade("D", 50, "0.85", "no", 150)]
    assert calibration_table(known_at_split(later, split)) == table


def test_the_band_grid_takes_positive_bands_with_enough_prints_and_their_favourites() -> None:
    def band(lower: str, upper: str, ret: str | None, obs: int) -> dict[str, object]:
        return {"lower": lower, "upper": upper, "return_after_fees": ret, "observations": obs}

    table = {
        "bands": [
            band("0", "0.05", "4.6", 150),  # positive, cheap
            band("0.05", "0.10", "-0.8", 480),
            band("0.35", "0.50", "0.01", 3000),  # positive, below 2%
            band("0.65", "0.80", "0.33", 2900),
            band("0.80", "0.90", "0.03", 1000),  # above 2%, not 5%
            band("0.90", "0.95", "0.08", 29),  # too few prints
            band("0.95", "1.00", None, 0),
        ]
    }
    assert positive_bands(table, D(0)) == [
        ["0", "0.05"],
        ["0.35", "0.50"],
        ["0.65", "0.80"],
        ["0.80", "0.90"],
    ]
    assert band_grid(table) == [
        {"bands": [["0", "0.05"], ["0.35", "0.50"], ["0.65", "0.80"], ["0.80", "0.90"]]},
        {"bands": [["0.65", "0.80"], ["0.80", "0.90"]]},
        {"bands": [["0", "0.05"], ["0.65", "0.80"], ["0.80", "0.90"]]},
        {"bands": [["0", "0.05"], ["0.65", "0.80"]]},
        {"bands": [["0.65", "0.80"]]},
    ]


def test_the_either_side_calibration_reads_a_print_as_buying_no_at_one_minus_p() -> None:
    t = cal_trade("A", 10, "0.15", "no", 60)
    no = mirror_calibration_trade(t)
    assert (no.ticker, no.yes_price, no.result) == ("A" + NO_SUFFIX, D("0.85"), "yes")
    table = calibration_table([t, no])
    by_band = {b["lower"]: b for b in table["bands"] if b["observations"]}
    assert by_band["0.10"]["win_rate"] == "0.000000"
    assert by_band["0.80"]["win_rate"] == "1.000000"


def test_a_close_on_a_whole_minute_is_known_an_early_close_is_not() -> None:
    scheduled = with_close_rule(MarketMeta(ticker="KXBTCD-X", close_time=at(60)))
    early = MarketMeta(ticker="KXATP-X", close_time=at(60) + timedelta(microseconds=94_165))
    assert scheduled.close_times is not None
    assert scheduled.close_times[0][1] == at(60)
    assert scheduled.close_times[0][0] <= datetime(2000, 1, 1, tzinfo=UTC)
    assert with_close_rule(early).close_times == ()
    assert with_close_rule(MarketMeta(ticker="KX-none")).close_times == ()
