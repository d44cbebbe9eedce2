"""Contract: Kalshi fees are charged exactly as the exchange does — M * rate * C * P * (1-P) per
fill rounded up to $0.0001, the order's total rounded up to the cent; taker 0.07, maker 0.0175
only on maker-fee series, the series multiplier applied, `flat` refused without its rate — and
the numba kernel's integer fee equals the Decimal fee for every order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalshi_core.backtest.fees import (
    FeeSchedule,
    FeeScheduleError,
    FeeType,
    fee_coefficient_units,
    fill_fee,
    order_fee,
)
from kalshi_core.backtest.kernels import fee_cents_nb

D = Decimal
TAKER = FeeSchedule()
MAKER_SERIES = FeeSchedule(FeeType.QUADRATIC_WITH_MAKER_FEES)


@pytest.mark.parametrize(
    ("contracts", "price", "schedule", "role", "fee"),
    [
        # The brief's case: 0.07 * 10 * 0.25 = 0.175 -> 0.18
        ("10", "0.50", TAKER, "taker", "0.18"),
        ("1", "0.50", TAKER, "taker", "0.02"),  # 0.0175 -> 0.02
        ("100", "0.50", TAKER, "taker", "1.75"),  # exact: no rounding
        ("100", "0.05", TAKER, "taker", "0.34"),  # 0.3325 -> 0.34
        ("100", "0.95", TAKER, "taker", "0.34"),
        ("1", "0.01", TAKER, "taker", "0.01"),  # 0.000693 -> 0.0007 -> 0.01
        ("1", "0.55", TAKER, "taker", "0.02"),  # 0.017325 -> 0.0174 -> 0.02
        ("100", "0.50", MAKER_SERIES, "maker", "0.44"),  # 0.4375 -> 0.44
        ("100", "0.25", MAKER_SERIES, "maker", "0.33"),  # 0.328125 -> 0.3282 -> 0.33
        ("100", "0.50", TAKER, "maker", "0.00"),  # no maker fee on plain quadratic
        ("100", "0.50", MAKER_SERIES, "taker", "1.75"),  # takers pay 0.07 everywhere
        ("10", "0.50", FeeSchedule(multiplier=D("0.5")), "taker", "0.09"),  # 0.0875
        ("100", "0.50", FeeSchedule(multiplier=D("0.5")), "taker", "0.88"),  # 0.875
        ("100", "0.50", FeeSchedule(multiplier=D("2")), "taker", "3.50"),
        ("100", "0.50", FeeSchedule(multiplier=D("0")), "taker", "0.00"),  # waived
        ("100", "0.50", FeeSchedule(FeeType.FLAT, flat_rate=D("0.035")), "taker", "0.88"),
        ("2.5", "0.40", TAKER, "taker", "0.05"),  # fractional contracts: 0.042 -> 0.05
        ("0", "0.50", TAKER, "taker", "0.00"),
    ],
)
def test_worked_fee_cases(
    contracts: str, price: str, schedule: FeeSchedule, role: str, fee: str
) -> None:
    assert order_fee([(D(contracts), D(price))], schedule, role) == D(fee)  # type: ignore[arg-type]


def test_ten_one_lot_fills_in_one_order_cost_the_single_fill_fee() -> None:
    fills = [(D(1), D("0.50"))] * 10
    assert order_fee(fills, TAKER) == D("0.18")  # not 10 x 0.02 = 0.20
    assert sum(order_fee([f], TAKER) for f in fills) == D("0.20")  # ten separate orders


def test_fill_fee_rounds_up_to_the_centicent() -> None:
    assert fill_fee(D(1), D("0.55"), TAKER) == D("0.0174")  # 0.017325
    assert fill_fee(D(3), D("0.055"), TAKER) == D("0.0110")  # 0.01091475
    # three 1-lot fills at a subpenny price: 3 x 0.0037 = 0.0111 -> 0.02 for the order
    assert order_fee([(D(1), D("0.055"))] * 3, TAKER) == D("0.02")


def test_flat_series_without_rate_is_refused() -> None:
    with pytest.raises(FeeScheduleError, match="Specific Trading Fees"):
        FeeSchedule(FeeType.FLAT)
    with pytest.raises(FeeScheduleError, match="unknown fee_type"):
        FeeSchedule.parse("cubic")
    with pytest.raises(FeeScheduleError, match="fee_multiplier"):
        FeeSchedule(multiplier=D("-1"))


def test_bad_fill_is_refused() -> None:
    with pytest.raises(ValueError, match="price"):
        fill_fee(D(1), D("1.5"), TAKER)
    with pytest.raises(ValueError, match="contracts"):
        fill_fee(D(-1), D("0.5"), TAKER)


def test_parse_reads_wire_values() -> None:
    s = FeeSchedule.parse("quadratic_with_maker_fees", 0.5)
    assert s.fee_type is FeeType.QUADRATIC_WITH_MAKER_FEES
    assert s.multiplier == D("0.5")
    assert FeeSchedule.parse(None).fee_type is FeeType.QUADRATIC


@settings(max_examples=2000, deadline=None)
@given(
    multiplier=st.sampled_from(["0", "0.25", "0.5", "1", "1.5", "2", "3.3333", "10"]),
    fee_type=st.sampled_from(["quadratic", "quadratic_with_maker_fees"]),
    role=st.sampled_from(["taker", "maker"]),
    count_u=st.one_of(st.integers(0, 10_000), st.integers(0, 10**10)),
    price_u=st.integers(0, 10_000),
)
def test_kernel_fee_equals_decimal_fee(
    multiplier: str, fee_type: str, role: str, count_u: int, price_u: int
) -> None:
    schedule = FeeSchedule.parse(fee_type, multiplier)
    coef = fee_coefficient_units(schedule, role)  # type: ignore[arg-type]
    want = order_fee([(D(count_u) / 100, D(price_u) / 10_000)], schedule, role)  # type: ignore[arg-type]
    assert D(int(fee_cents_nb(coef, count_u, price_u))) / 100 == want
