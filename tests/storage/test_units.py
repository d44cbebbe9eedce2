"""Contract: `kalshi_core.units` converts quote values between Decimal and the stored integers
exactly: every price with at most 6 decimal places in [0, 1] and every count with at most 2 in
the int8 range round-trips to an equal Decimal in shortest form; anything else (more decimals,
out of range, NaN, not a Decimal or not an int) raises ValueError, never rounds. The fast
conversions agree with the checked reference (`_scaled`) on every input, whatever the thread's
decimal context.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Context, Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalshi_core.units import (
    MAX_COUNT_CENTI,
    MAX_PRICE_MICROS,
    _scaled,
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


# --- the fast paths agree with the checked reference ----------------------------------------
# `price_to_micros` / `count_to_centi` convert what they store without `_scaled`; for every
# input they must return what it returns or raise the ValueError it raises (same message).


class _Dec(Decimal):
    """A Decimal subclass: accepted (by the reference path), like any Decimal."""


_SPECIALS = [
    Decimal("NaN"),
    Decimal("-NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("-0"),
    Decimal("-0.000"),
    Decimal("0E-60"),
    Decimal("0E+60"),
    Decimal("1E-999999"),  # far outside the fast path's exponents: never expanded
    Decimal("1E+999999"),
    Decimal("9" * 80),
    Decimal("0." + "0" * 70 + "1"),
    Decimal("1.000000000000000000000000000000000001"),
    _Dec("0.45"),
    _Dec("7.25"),
    0.5,
    1,
    True,
    "0.5",
    None,
]


def _digits(sign: int, coefficient: int, exponent: int) -> Decimal:
    return Decimal((sign, tuple(int(c) for c in str(coefficient)), exponent))


# any sign, up to 23 digits, exponents well past both ends of the fast path's range
_ANY_DECIMAL = st.builds(
    _digits,
    st.integers(0, 1),
    st.integers(0, 10**23),
    st.integers(-45, 45),
)


def _near(limit: int, places: int) -> st.SearchStrategy[Decimal]:
    """Values within a few units of 0 and of the top, in the unit and padded with zeros."""
    n = st.one_of(st.integers(-3, 3), st.integers(limit - 3, limit + 3))
    return st.builds(
        lambda k, pad: Decimal(k * 10**pad).scaleb(-(places + pad)), n, st.integers(0, 25)
    )


_INPUTS = st.one_of(
    st.sampled_from(_SPECIALS),
    _ANY_DECIMAL,
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=0, max_value=2, places=7),
    _near(MAX_PRICE_MICROS, 6),
    _near(MAX_COUNT_CENTI, 2),
)


def _outcome(convert: Callable[[Any], int], value: object) -> object:
    try:
        return convert(value)
    except ValueError as exc:
        return ("ValueError", str(exc))


def _reference_price(value: Any) -> int:
    return _scaled(value, 6, MAX_PRICE_MICROS, "price", "micro-dollars")


def _reference_count(value: Any) -> int:
    return _scaled(value, 2, MAX_COUNT_CENTI, "count", "centi-contracts")


def _agree(value: object) -> None:
    price = _outcome(price_to_micros, value)
    assert price == _outcome(_reference_price, value)
    count = _outcome(count_to_centi, value)
    assert count == _outcome(_reference_count, value)
    if isinstance(price, int):  # what is stored reads back equal
        assert micros_to_price(price) == value
    if isinstance(count, int):
        assert centi_to_count(count) == value


@settings(max_examples=2000)
@given(_INPUTS)
def test_fast_paths_agree_with_the_reference(value: object) -> None:
    _agree(value)


@pytest.mark.parametrize("value", _SPECIALS, ids=repr)
def test_fast_paths_agree_on_edge_cases(value: object) -> None:
    _agree(value)


@settings(max_examples=300)
@given(_INPUTS)
def test_thread_context_does_not_matter(value: object) -> None:
    # a thread whose decimal context rounds to one digit and traps everything gets the same
    # results: every conversion uses its own exact context or integer arithmetic
    expected = (_outcome(price_to_micros, value), _outcome(count_to_centi, value))
    hostile = Context(prec=1, Emax=1, Emin=-1, traps=list(Context().flags))
    with localcontext(hostile):
        got = (_outcome(price_to_micros, value), _outcome(count_to_centi, value))
        if isinstance(got[0], int):
            assert micros_to_price(got[0]) == value
        if isinstance(got[1], int):
            assert centi_to_count(got[1]) == value
    assert got == expected


def test_int_subclass_reads_back() -> None:
    class Micros(int):
        pass

    assert str(micros_to_price(Micros(450_000))) == "0.45"
    assert str(centi_to_count(Micros(12_350))) == "123.5"
