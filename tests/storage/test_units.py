"""Contract: `kalshi_core.units` converts quote values between Decimal and the stored integers
exactly: every price with at most 6 decimal places in [0, 1] and every count with at most 2 in
the int8 range round-trips to an equal Decimal in shortest form; anything else (more decimals,
out of range, NaN, not a Decimal or not an int) raises ValueError, never rounds.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalshi_core.units import (
    MAX_COUNT_CENTI,
    MAX_PRICE_MICROS,
    centi_to_count,
    count_to_centi,
    micros_to_price,
    price_to_micros,
)

micros = st.integers(min_value=0, max_value=MAX_PRICE_MICROS)
centis = st.integers(min_value=0, max_value=MAX_COUNT_CENTI)
# zero padding on the way in (0.45 written 0.4500, 7 written 7.00 or 7E+0) must not matter
padding = st.integers(min_value=0, max_value=12)


def _padded(n: int, places: int, pad: int) -> Decimal:
    return Decimal(n * 10**pad).scaleb(-(places + pad))


@given(micros, padding)
def test_price_round_trip(n: int, pad: int) -> None:
    price = _padded(n, 6, pad)
    assert price_to_micros(price) == n
    back = micros_to_price(n)
    assert back == price
    assert type(back) is Decimal
    assert str(back) == format(price.normalize(), "f")  # shortest form, no exponent


@given(centis, padding)
def test_count_round_trip(n: int, pad: int) -> None:
    count = _padded(n, 2, pad)
    assert count_to_centi(count) == n
    back = centi_to_count(n)
    assert back == count
    assert "E" not in str(back)
    assert str(back) == format(count.normalize(), "f")


@given(st.decimals(min_value=0, max_value=1, allow_nan=False, places=6))
def test_any_six_place_price(price: Decimal) -> None:
    assert micros_to_price(price_to_micros(price)) == price


def test_shortest_forms() -> None:
    assert str(micros_to_price(450_000)) == "0.45"
    assert str(micros_to_price(1_000_000)) == "1"
    assert str(micros_to_price(0)) == "0"
    assert str(micros_to_price(1)) == "0.000001"
    assert str(centi_to_count(12_345)) == "123.45"
    assert str(centi_to_count(10_000)) == "100"
    assert str(centi_to_count(12_350)) == "123.5"
    assert price_to_micros(Decimal("-0")) == 0
    assert count_to_centi(Decimal("0E+99999")) == 0


@given(
    st.integers(min_value=0, max_value=MAX_PRICE_MICROS - 1), st.integers(min_value=1, max_value=9)
)
def test_seven_place_price_rejected(n: int, digit: int) -> None:
    price = Decimal(n * 10 + digit).scaleb(-7)  # a nonzero 7th decimal place
    with pytest.raises(ValueError, match="more than 6 decimal places"):
        price_to_micros(price)


@given(
    st.integers(min_value=0, max_value=MAX_COUNT_CENTI // 10 - 1),
    st.integers(min_value=1, max_value=9),
)
def test_three_place_count_rejected(n: int, digit: int) -> None:
    count = Decimal(n * 10 + digit).scaleb(-3)
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        count_to_centi(count)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("1.000001"), r"price 1.000001 out of range: must be in \[0, 1\]"),
        (Decimal("-0.01"), "out of range"),
        (Decimal("NaN"), "not a finite number"),
        (Decimal("sNaN"), "not a finite number"),
        (Decimal("Infinity"), "not a finite number"),
        (Decimal("1E+5"), "out of range"),
        (Decimal("0." + "0" * 60 + "1"), "more than 6 decimal places"),
        (0.5, "must be a Decimal"),
        ("0.5", "must be a Decimal"),
        (None, "must be a Decimal"),
    ],
)
def test_bad_prices(value: object, message: str) -> None:
    price_to_micros(Decimal("0.5"))  # remembered: an equal float must still be refused
    with pytest.raises(ValueError, match=message):
        price_to_micros(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("92233720368547758.08"), r"out of range: must be in \[0, 92233720368547758.07\]"),
        (Decimal("-1"), "out of range"),
        (Decimal("NaN"), "not a finite number"),
        (Decimal("1.005"), "more than 2 decimal places"),
        (7, "must be a Decimal"),
    ],
)
def test_bad_counts(value: object, message: str) -> None:
    count_to_centi(Decimal(7))
    with pytest.raises(ValueError, match=message):
        count_to_centi(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-1, MAX_PRICE_MICROS + 1, 1.0, True, "1", None])
def test_bad_micros(value: object) -> None:
    micros_to_price(1)
    with pytest.raises(ValueError, match="micro-dollars"):
        micros_to_price(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-1, MAX_COUNT_CENTI + 1, 100.0, False])
def test_bad_centi(value: object) -> None:
    centi_to_count(100)
    with pytest.raises(ValueError, match="centi-contracts"):
        centi_to_count(value)  # type: ignore[arg-type]
