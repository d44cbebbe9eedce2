"""Contract: `kalshi_core.analysis.calibration` computes the documented definition exactly.

On the fixture worked by hand in `tests/calibration_fixture.py` (prints on inner edges, one in
the pre-close window, one exactly at its start, a void market, an event's fee override) every
band's observations, contracts, mean price, win rate, return after the taker fee and fees, the
Brier score, the totals and the exclusion counts equal the hand figures. Also: a price on an
inner edge goes to the upper band and 1.00 to the last; each exclusion rule counts under its
own reason; the window is a parameter; band edges that leave a price without a band, and a flat
fee series without a rate, are refused with a clear message.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from kalshi_core.analysis.calibration import (
    DEFAULT_EDGES,
    CalibrationError,
    CalibrationParams,
    CalibrationTrade,
    band_index,
    calibrate,
)
from tests.calibration_fixture import (
    EXPECTED_BANDS,
    EXPECTED_BRIER,
    EXPECTED_CONTRACTS,
    EXPECTED_EXCLUSIONS,
    EXPECTED_FIRST,
    EXPECTED_LAST,
    EXPECTED_MARKETS,
    EXPECTED_OBSERVATIONS,
    calibration_rows,
)

D = Decimal
CLOSE = datetime(2026, 1, 10, 12, tzinfo=UTC)


def _opt(v: str | None) -> Decimal | None:
    return None if v is None else D(v)


def test_fixture_matches_the_hand_computation() -> None:
    result = calibrate(calibration_rows(), CalibrationParams(series_ticker="KXCAL"))

    got = [
        (
            b.lower,
            b.upper,
            b.observations,
            b.contracts,
            b.mean_price,
            b.win_rate,
            b.return_after_fees,
            b.fees,
        )
        for b in result.bands
    ]
    want = [
        (D(lo), D(hi), n, D(c), _opt(mp), _opt(wr), _opt(ret), D(fees))
        for lo, hi, n, c, mp, wr, ret, fees in EXPECTED_BANDS
    ]
    assert got == want
    assert result.brier == EXPECTED_BRIER
    assert result.observations == EXPECTED_OBSERVATIONS
    assert result.contracts == EXPECTED_CONTRACTS
    assert result.markets == EXPECTED_MARKETS
    assert result.exclusions == EXPECTED_EXCLUSIONS
    assert (result.first_trade_at, result.last_trade_at) == (EXPECTED_FIRST, EXPECTED_LAST)
    assert result.series_ticker == "KXCAL"
    assert result.close_window_s == 600
    assert result.band_edges == DEFAULT_EDGES
    # the ratios are exactly 6 decimal places (what the API and the table show)
    assert str(result.bands[5].return_after_fees) == "0.089283"


def test_window_is_a_parameter() -> None:
    # Without the window the 11:50 and 11:55 prints count: t07 (B, no, 0.12 x 3) joins
    # [0.10, 0.20) and t03 (A, yes, 0.97 x 20) fills [0.95, 1.00].
    result = calibrate(calibration_rows(), CalibrationParams(close_window_s=0))
    assert result.exclusions["close_window"] == 0
    assert result.observations == EXPECTED_OBSERVATIONS + 2
    assert result.bands[2].observations == 2
    assert result.bands[2].contracts == D(6)
    last = result.bands[-1]
    # fee 0.07*20*0.97*0.03 = 0.04074 -> 0.0408 -> 0.05; return (20*0.03 - 0.05)/0.97/20
    assert (last.observations, last.contracts, last.fees) == (1, D(20), D("0.05"))
    assert last.return_after_fees == D("0.028351")
    assert last.win_rate == D("1.000000")


def test_band_edges() -> None:
    edges = DEFAULT_EDGES
    assert band_index(D("0"), edges) == 0
    assert band_index(D("0.0499"), edges) == 0
    assert band_index(D("0.05"), edges) == 1
    assert band_index(D("0.50"), edges) == 5
    assert band_index(D("0.9499"), edges) == 8
    assert band_index(D("0.95"), edges) == 9
    assert band_index(D("1.00"), edges) == 9
    assert band_index(D("1"), (D(0), D("0.5"), D(1))) == 1
    with pytest.raises(ValueError, match="outside the bands"):
        band_index(D("1.01"), edges)


def _print(**kw: object) -> CalibrationTrade:
    base = CalibrationTrade(
        ticker="KXT-1",
        created_time=CLOSE - timedelta(hours=1),
        yes_price=D("0.40"),
        count=D(2),
        result="yes",
        close_time=CLOSE,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_each_exclusion_has_its_reason() -> None:
    prints = [
        _print(result=None),
        _print(result="scalar"),
        _print(result="void"),
        _print(close_time=None),
        _print(created_time=CLOSE - timedelta(minutes=10)),
        _print(created_time=CLOSE + timedelta(minutes=1)),
        _print(count=D(0)),
        _print(yes_price=D(0)),
        _print(),
    ]
    result = calibrate(prints, CalibrationParams())
    assert result.exclusions == {
        "unsettled": 3,
        "no_close_time": 1,
        "close_window": 2,
        "zero_count": 1,
        "zero_price": 1,
    }
    assert result.observations == 1
    # one print of 2 at 0.40, yes: fee 0.07*2*0.4*0.6 = 0.0336 -> 0.04; return (1.2-0.04)/0.4/2
    assert result.bands[4].return_after_fees == D("1.450000")
    assert result.brier == D("0.360000")


def test_price_one_goes_to_the_last_band() -> None:
    result = calibrate([_print(yes_price=D("1.00"), result="no")], CalibrationParams())
    last = result.bands[-1]
    assert (last.observations, last.fees) == (1, D(0))  # no fee at 1.00
    assert last.return_after_fees == D("-1.000000")
    assert result.brier == D("1.000000")


def test_empty_input_gives_empty_bands() -> None:
    result = calibrate([], CalibrationParams())
    assert result.observations == 0
    assert result.brier is None
    assert result.markets == 0
    assert all(b.mean_price is None and b.return_after_fees is None for b in result.bands)


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ((D(0),), "at least two"),
        ((D("0.1"), D(1)), "start at 0 and end at 1"),
        ((D(0), D("0.9")), "start at 0 and end at 1"),
        ((D(0), D("0.5"), D("0.5"), D(1)), "strictly increasing"),
    ],
)
def test_bad_edges_are_refused(edges: tuple[Decimal, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CalibrationParams(band_edges=edges)


def test_flat_fee_series_needs_a_rate() -> None:
    flat = _print(fee_type="flat")
    with pytest.raises(CalibrationError, match=r"KXT-1.*flat_rate"):
        calibrate([flat], CalibrationParams())
    # with a rate of 0.035: fee 0.035*2*0.4*0.6 = 0.0168 -> 0.02; (1.2 - 0.02)/0.4/2 = 1.475
    result = calibrate([flat], CalibrationParams(flat_rate=D("0.035")))
    assert result.bands[4].return_after_fees == D("1.475000")
