"""Exact integer units of stored quotes: prices in micro-dollars, counts in centi-contracts.

Kalshi quotes prices in dollars with up to 6 decimal places (sub-penny price levels) and counts
with up to 2 (fractional contracts, the `*_fp` fields). `market_snapshots` and `market_latest`
store them as integers in units that hold both exactly (migration 0009):

- a price is an int4 of micro-dollars: 1 = $0.000001, $1 = 1_000_000;
- a count is an int8 of centi-contracts: 1 = 0.01 contract.

Fixed-width integers compare, copy and index at integer speed and cost no varlena header.
Everything outside the database keeps `Decimal` (models, API, wire); the functions here are the
only conversions. A value the units cannot hold exactly (more decimals, out of range, NaN, not a
Decimal) raises ValueError: nothing is ever rounded.

Decimals read back are in their shortest exact form, as the API's JSON writes them
(`trim_scale`): 0.45, 1, 0, 123.5 (not 0.450000 or 1.2E+2).

Speed (every snapshot written converts eight values): a Decimal's integer ratio is exact and
costs about as much as one Decimal operation, so the conversions to integers take it directly
and fall back to the checked reference (`_scaled`) only for what the fast path does not accept,
which then either converts the value or raises the error that says why. They keep no cache:
hashing a fresh Decimal with decimals costs more than converting it. Reads keep a cache of
prices only (int keys hash for free, and a market's prices repeat; counts mostly do not).
"""

from __future__ import annotations

from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, Inexact, InvalidOperation
from typing import Final

PRICE_PLACES: Final = 6
"""Decimal places a stored price holds (micro-dollars)."""
COUNT_PLACES: Final = 2
"""Decimal places a stored count holds (centi-contracts)."""
MICROS_PER_DOLLAR: Final = 10**PRICE_PLACES
CENTI_PER_CONTRACT: Final = 10**COUNT_PLACES
MAX_PRICE_MICROS: Final = MICROS_PER_DOLLAR
"""$1, the highest price (the int4 columns' CHECK: 0..1_000_000)."""
MAX_COUNT_CENTI: Final = 2**63 - 1
"""The int8 maximum: 92,233,720,368,547,758.07 contracts."""

# Scaling by a power of ten is exact unless a coefficient would need more than `prec` digits:
# Inexact is trapped, so such a value raises instead of being rounded (no value in range needs
# more than 20 digits once scaled).
_EXACT: Final = Context(
    prec=64, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, InvalidOperation], flags=[]
)
# The fast path takes only values whose adjusted exponent (the power of ten of the leading
# digit) is in [_FAST_ADJUSTED_MIN, _FAST_ADJUSTED_MAX]: every storable nonzero value is (1e-6
# .. 9.2e16), and outside it `as_integer_ratio` could build a power of ten far larger than the
# value's own digits (1E-999999 is short to write). A padded zero (0E-30) takes the reference
# path, which stores it as 0.
_FAST_ADJUSTED_MIN: Final = -24
_FAST_ADJUSTED_MAX: Final = 20
_CACHE_LIMIT: Final = 100_000
_from_micros: dict[int, Decimal] = {}


def _scaled(value: Decimal, places: int, limit: int, what: str, unit: str) -> int:
    """`value` * 10**`places` as an int in [0, `limit`], or a ValueError saying why not.

    The checked reference conversion: `price_to_micros` and `count_to_centi` give the same
    result (or raise the same error) for every input, faster for the values they store.
    """
    if not isinstance(value, Decimal):
        raise ValueError(f"{what} {value!r} must be a Decimal")
    if not value.is_finite():
        raise ValueError(f"{what} {value} is not a finite number")
    top = Decimal(limit).scaleb(-places, _EXACT)  # (the thread's context could round)
    if value < 0 or value > top:
        raise ValueError(f"{what} {value} out of range: must be in [0, {top.normalize(_EXACT):f}]")
    try:
        result = value.scaleb(places, _EXACT)
    except (Inexact, InvalidOperation):
        result = None
    n = 0 if result is None else int(result)
    if result is None or result != n:
        raise ValueError(
            f"{what} {value} has more than {places} decimal places: it cannot be stored exactly "
            f"in {unit}"
        )
    return n


def price_to_micros(price: Decimal) -> int:
    """Dollars in [0, 1] with at most 6 decimal places -> micro-dollars (exact)."""
    # `type is` first: a float or a bool has no integer ratio to trust here (and a Decimal
    # subclass takes the reference path, which accepts it)
    if type(price) is Decimal and _FAST_ADJUSTED_MIN <= price.adjusted() <= _FAST_ADJUSTED_MAX:
        try:
            num, den = price.as_integer_ratio()  # exact, in lowest terms
        except (ValueError, OverflowError):  # NaN, sNaN, infinity: the reference says which
            pass
        else:
            if MICROS_PER_DOLLAR % den == 0:  # at most 6 decimal places
                n = num * (MICROS_PER_DOLLAR // den)
                if 0 <= n <= MAX_PRICE_MICROS:
                    return n
    return _scaled(price, PRICE_PLACES, MAX_PRICE_MICROS, "price", "micro-dollars")


def count_to_centi(count: Decimal) -> int:
    """Contracts >= 0 with at most 2 decimal places -> centi-contracts (exact, int8 range)."""
    if type(count) is Decimal and _FAST_ADJUSTED_MIN <= count.adjusted() <= _FAST_ADJUSTED_MAX:
        try:
            num, den = count.as_integer_ratio()
        except (ValueError, OverflowError):
            pass
        else:
            if CENTI_PER_CONTRACT % den == 0:
                n = num * (CENTI_PER_CONTRACT // den)
                if 0 <= n <= MAX_COUNT_CENTI:
                    return n
    return _scaled(count, COUNT_PLACES, MAX_COUNT_CENTI, "count", "centi-contracts")


def _shortest(n: int, places: int) -> Decimal:
    """n / 10**places (n >= 0) in shortest exact form, never with an exponent: the fraction's
    trailing zeros are stripped in integers, cheaper than `Decimal.normalize`."""
    whole, frac = divmod(n, 10**places)
    if frac == 0:
        return Decimal(whole)  # 1_000_000 micros -> 1, not 1E+0
    while n % 10 == 0:
        n //= 10
        places -= 1
    return Decimal(n).scaleb(-places, _EXACT)


def micros_to_price(micros: int) -> Decimal:
    """Micro-dollars -> dollars, in shortest exact form (450_000 -> Decimal('0.45'))."""
    # `type is`: True and 1.0 hash like 1 but are not micro-dollars
    d = _from_micros.get(micros) if type(micros) is int else None
    if d is None:
        micros = _checked_int(micros, MAX_PRICE_MICROS, "micro-dollars")
        d = _shortest(micros, PRICE_PLACES)
        if len(_from_micros) >= _CACHE_LIMIT:
            _from_micros.clear()
        _from_micros[micros] = d
    return d


def centi_to_count(centi: int) -> Decimal:
    """Centi-contracts -> contracts, in shortest exact form (12_350 -> Decimal('123.5'))."""
    if type(centi) is not int or not 0 <= centi <= MAX_COUNT_CENTI:
        centi = _checked_int(centi, MAX_COUNT_CENTI, "centi-contracts")
    # `_shortest` unrolled for two places (reads call this for five columns a row)
    if centi % CENTI_PER_CONTRACT == 0:
        return Decimal(centi // CENTI_PER_CONTRACT)
    if centi % 10 == 0:
        return Decimal(centi // 10).scaleb(-1, _EXACT)
    return Decimal(centi).scaleb(-COUNT_PLACES, _EXACT)


def _checked_int(n: object, limit: int, what: str) -> int:
    """`n` as an int in [0, `limit`] (an int subclass other than bool is accepted), or a
    ValueError naming the unit."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise ValueError(f"{what} {n!r} must be an int")
    if n < 0 or n > limit:
        raise ValueError(f"{what} {n} out of range: must be in [0, {limit}]")
    return int(n)
