"""Cell values of a dump -> the workbench's types, exactly: Decimal money, aware datetimes.

A cell arrives as CSV text or as a Parquet value (int, float, Decimal, str, datetime, bool).
Each converter returns the typed value or raises `ValueError` with a message that names the
value and the unit expected; the caller adds the file, line and column. Empty cells are handled
by the caller (a converter never sees None or "").

Units follow Kalshi's field names: a bare price (`yes_price`, `yes_bid_open`) is integer cents,
a `*_dollars` price is dollars, a `*_fp` count is a decimal string. Cents become dollars by
moving the decimal point (`Decimal(29).scaleb(-2)` is exactly 0.29); nothing goes through a
binary float. A float cell (Parquet written from pandas, where a nullable integer column becomes
float64) is read through its shortest repr, the number its writer meant.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
HUNDRED: Final = Decimal(100)
# Unix seconds beyond 2100-01-01 are milliseconds or garbage, not a Kalshi time.
_MAX_UNIX_S: Final = 4_102_444_800
_CACHE_MAX: Final = 50_000

_decimal_cache: dict[object, Decimal] = {}
_time_cache: dict[str, datetime] = {}


def decimal_of(v: object) -> Decimal:
    """Any numeric cell -> a finite Decimal (no rounding)."""
    t = type(v)
    if t is str:
        hit = _decimal_cache.get(v)
        if hit is not None:
            return hit
        try:
            d = Decimal(v.strip())  # type: ignore[attr-defined]
        except InvalidOperation:
            raise ValueError(f"{v!r} is not a number") from None
        if not d.is_finite():
            raise ValueError(f"{v!r} is not a finite number")
        if len(_decimal_cache) < _CACHE_MAX:
            _decimal_cache[v] = d
        return d
    if t is int:
        return Decimal(v)  # type: ignore[arg-type]
    if t is float:
        if not math.isfinite(v):  # type: ignore[arg-type]
            raise ValueError(f"{v!r} is not a finite number")
        return Decimal(repr(v))
    if t is Decimal:
        if not v.is_finite():  # type: ignore[attr-defined]
            raise ValueError(f"{v} is not a finite number")
        return v  # type: ignore[return-value]
    if t is bool:
        raise ValueError(f"expected a number, got the boolean {v}")
    raise ValueError(f"expected a number, got {type(v).__name__} {v!r}")


def _integral(d: Decimal) -> Decimal:
    """`72.0` -> `72`: the same number without a trailing fraction (stored scale stays small)."""
    return Decimal(int(d)) if d == d.to_integral_value() else d


def price_dollars(v: object) -> Decimal:
    """A `*_dollars` price ("0.5600", 0.56) -> Decimal dollars in [0, 1], as written."""
    d = decimal_of(v)
    if d < ZERO or d > ONE:
        raise ValueError(f"price {v!r} is outside [0, 1] dollars")
    return d


def price_cents(v: object) -> Decimal:
    """A legacy cent price (56, "56", "72.0", 56.0) -> dollars (0.56).

    Kalshi's cent fields were whole cents; a fraction here is a dollar value in a cents column
    (or a corrupted value) and is refused rather than read as a fraction of a cent.
    """
    d = decimal_of(v)
    if d != d.to_integral_value():
        raise ValueError(
            f"{v!r} is not whole cents (this column is in cents; dollar prices belong in a "
            "*_dollars column)"
        )
    if d < ZERO or d > HUNDRED:
        raise ValueError(f"price {v!r} cents is outside [0, 100]")
    return _integral(d).scaleb(-2)


def count(v: object) -> Decimal:
    """Contracts ("10", "10.00", 10, 10.0) -> Decimal >= 0 (fractional since 2026)."""
    d = decimal_of(v)
    if d < ZERO:
        raise ValueError(f"count {v!r} is negative")
    return _integral(d) if type(v) is float else d


def whole_number(v: object) -> int:
    d = decimal_of(v)
    if d != d.to_integral_value():
        raise ValueError(f"{v!r} is not a whole number")
    return int(d)


def time_rfc3339(v: object) -> datetime:
    """RFC 3339 text ("2025-11-09T05:54:39.90402Z") or a timezone-aware datetime."""
    if type(v) is str:
        hit = _time_cache.get(v)
        if hit is not None:
            return hit
        try:
            dt = datetime.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"{v!r} is not an RFC 3339 time") from None
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError(f"{v!r} has no time zone (naive times are refused; Kalshi's are UTC)")
        if len(_time_cache) < _CACHE_MAX:
            _time_cache[v] = dt
        return dt
    if isinstance(v, datetime):
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError(f"{v.isoformat()} has no time zone (naive times are refused)")
        return v
    raise ValueError(f"expected an RFC 3339 time, got {type(v).__name__} {v!r}")


def time_unix(v: object) -> datetime:
    """Unix seconds (1761005280, "1761005280") -> an aware UTC datetime."""
    if type(v) is str:
        s = v.strip()
        if not s.isdigit():
            raise ValueError(f"{v!r} is not unix seconds (an integer)")
        n = int(s)
    elif type(v) is int:
        n = v
    elif type(v) is float and v.is_integer():
        n = int(v)
    else:
        raise ValueError(f"expected unix seconds (an integer), got {type(v).__name__} {v!r}")
    if not 0 <= n < _MAX_UNIX_S:
        raise ValueError(f"{v!r} is not unix seconds (milliseconds, or out of range)")
    return datetime.fromtimestamp(n, tz=UTC)


def text(v: object) -> str:
    if type(v) is not str:
        raise ValueError(f"expected text, got {type(v).__name__} {v!r}")
    return v


def ticker(v: object) -> str:
    s = text(v)
    if s != s.strip() or not s or len(s) > 200:
        raise ValueError(f"{v!r} is not a ticker (non-empty, no surrounding spaces, <= 200 chars)")
    return s


_SIDES: Final = {"yes": "yes", "no": "no"}


def side(v: object) -> str:
    s = _SIDES.get(v) if type(v) is str else None
    if s is None:
        raise ValueError(f"expected 'yes' or 'no', got {v!r}")
    return s


_BOOLS: Final = {"true": True, "false": False, "1": True, "0": False}


def boolean(v: object) -> bool:
    if type(v) is bool:
        return v
    if type(v) is int and v in (0, 1):
        return bool(v)
    if type(v) is str and v.strip().lower() in _BOOLS:
        return _BOOLS[v.strip().lower()]
    raise ValueError(f"expected true/false, got {v!r}")


RESULTS: Final = frozenset({"yes", "no", "scalar", "void"})


def result(v: object) -> str:
    s = text(v)
    if s not in RESULTS:
        raise ValueError(f"{v!r} is not a market result ({', '.join(sorted(RESULTS))} or empty)")
    return s


def market_type(v: object) -> str:
    s = text(v)
    if s not in ("binary", "scalar"):
        raise ValueError(f"{v!r} is not a market type (binary or scalar)")
    return s


def status(v: object) -> str:
    s = text(v)
    if not s or not s.replace("_", "").isalpha() or not s.islower():
        raise ValueError(f"{v!r} is not a market status (a lower-case word such as 'finalized')")
    return s


def canonical_decimal(d: Decimal) -> str:
    """One text per number (0.50 and 0.5 -> "0.5"), so staged rows compare as text."""
    return format(d.normalize(), "f")


def canonical_time(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()
