"""Contract: dump cells become exact values. Cents move the decimal point (29 -> 0.29, where
int(float("0.29") * 100) gives 28), dollars are read as written, floats through their shortest
repr; a fractional cent, a price outside its range, a naive or unparsable time, milliseconds
passed as unix seconds and unknown enum values are refused with a message naming the value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from kalshi_core.imports import values as v


def test_every_whole_cent_is_exact() -> None:
    truncated = [c for c in range(101) if int(float(f"{c / 100}") * 100) != c]
    assert 29 in truncated  # the naive conversion this module exists to avoid
    for c in range(101):
        expected = Decimal(c) / 100
        for cell in (c, str(c), f"{c}.0", float(c), Decimal(c)):
            got = v.price_cents(cell)
            assert got == expected, cell
            assert str(got) == f"{c // 100}.{c % 100:02d}"  # a cent has two decimals


def test_dollars_as_written() -> None:
    assert str(v.price_dollars("0.5600")) == "0.5600"
    assert v.price_dollars(0.29) == Decimal("0.29")
    assert v.price_dollars(Decimal("0.123456")) == Decimal("0.123456")
    for bad, message in (
        ("1.01", "outside [0, 1] dollars"),
        ("-0.01", "outside [0, 1] dollars"),
        ("NaN", "not a finite number"),
        ("0,56", "not a number"),
        (True, "boolean"),
    ):
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
            v.price_dollars(bad)


def test_cents_refuse_fractions_and_range() -> None:
    with pytest.raises(ValueError, match="not whole cents"):
        v.price_cents("0.56")
    with pytest.raises(ValueError, match="not whole cents"):
        v.price_cents(56.5)
    with pytest.raises(ValueError, match=r"outside \[0, 100\]"):
        v.price_cents(101)


def test_counts() -> None:
    assert str(v.count("10.00")) == "10.00"
    assert str(v.count(10.0)) == "10"
    assert v.count(7) == Decimal(7)
    with pytest.raises(ValueError, match="negative"):
        v.count("-1")


def test_times() -> None:
    t = datetime(2025, 11, 9, 5, 54, 39, 904020, tzinfo=UTC)
    assert v.time_rfc3339("2025-11-09T05:54:39.90402Z") == t
    assert v.time_rfc3339("2025-11-09T00:54:39.90402-05:00") == t
    assert v.time_rfc3339(t) == t
    tz = timezone(timedelta(hours=2))
    assert v.canonical_time(t.astimezone(tz)) == "2025-11-09T05:54:39.904020+00:00"
    for bad in ("2025-11-09 05:54:39", datetime(2025, 1, 1)):
        with pytest.raises(ValueError, match="no time zone"):
            v.time_rfc3339(bad)
    with pytest.raises(ValueError, match="not an RFC 3339 time"):
        v.time_rfc3339("yesterday")
    assert v.time_unix("1761005280") == datetime(2025, 10, 21, 0, 8, tzinfo=UTC)
    assert v.time_unix(1761005280.0) == datetime(2025, 10, 21, 0, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="milliseconds"):
        v.time_unix(1761005280000)
    with pytest.raises(ValueError, match="not unix seconds"):
        v.time_unix("2025-10-21")


def test_words() -> None:
    assert v.side("yes") == "yes"
    with pytest.raises(ValueError, match="'yes' or 'no'"):
        v.side("Yes")
    assert [v.boolean(x) for x in ("true", "False", "1", 0, True)] == [
        True,
        False,
        True,
        False,
        True,
    ]
    with pytest.raises(ValueError, match="true/false"):
        v.boolean("maybe")
    assert v.result("void") == "void"
    with pytest.raises(ValueError, match="not a market result"):
        v.result("YES")
    assert v.canonical_decimal(Decimal("0.50")) == v.canonical_decimal(Decimal("0.5")) == "0.5"
    assert v.canonical_decimal(Decimal("100")) == "100"
