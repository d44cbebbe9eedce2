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
_CACHE_LIMIT: Final = 100_000

# Quotes repeat (a few hundred price levels, slowly growing counts): conversions are remembered,
# bounded (cleared when full). Equal Decimals (0.45, 0.4500) hash alike and share an entry.
_to_micros: dict[Decimal, int] = {}
_to_centi: dict[Decimal, int] = {}
_from_micros: dict[int, Decimal] = {}
_from_centi: dict[int, Decimal] = {}


def _scaled(value: Decimal, places: int, limit: int, what: str, unit: str) -> int:
    if not isinstance(value, Decimal):
        raise ValueError(f"{what} {value!r} must be a Decimal")
    if not value.is_finite():
        raise ValueError(f"{what} {value} is not a finite number")
    top = Decimal(limit).scaleb(-places)
    if value < 0 or value > top:
        raise ValueError(f"{what} {value} out of range: must be in [0, {top.normalize():f}]")
    try:
        scaled = value.scaleb(places, _EXACT)
    except (Inexact, InvalidOperation):
        scaled = None
    n = 0 if scaled is None else int(scaled)
    if scaled is None or scaled != n:
        raise ValueError(
            f"{what} {value} has more than {places} decimal places: it cannot be stored exactly "
            f"in {unit}"
        )
    return n


def price_to_micros(price: Decimal) -> int:
    """Dollars in [0, 1] with at most 6 decimal places -> micro-dollars (exact)."""
    # The type test first: a float equal to a remembered Decimal must not find it.
    if type(price) is Decimal and not price.is_snan():  # (a signalling NaN cannot be hashed)
        n = _to_micros.get(price)
        if n is not None:
            return n
    n = _scaled(price, PRICE_PLACES, MAX_PRICE_MICROS, "price", "micro-dollars")
    if len(_to_micros) >= _CACHE_LIMIT:
        _to_micros.clear()
    _to_micros[price] = n
    return n


def count_to_centi(count: Decimal) -> int:
    """Contracts >= 0 with at most 2 decimal places -> centi-contracts (exact, int8 range)."""
    if type(count) is Decimal and not count.is_snan():
        n = _to_centi.get(count)
        if n is not None:
            return n
    n = _scaled(count, COUNT_PLACES, MAX_COUNT_CENTI, "count", "centi-contracts")
    if len(_to_centi) >= _CACHE_LIMIT:
        _to_centi.clear()
    _to_centi[count] = n
    return n


def _unscaled(n: int, places: int, limit: int, what: str) -> Decimal:
    if not isinstance(n, int) or isinstance(n, bool):
        raise ValueError(f"{what} {n!r} must be an int")
    if n < 0 or n > limit:
        raise ValueError(f"{what} {n} out of range: must be in [0, {limit}]")
    whole, frac = divmod(n, 10**places)
    if frac == 0:
        return Decimal(whole)
    # shortest exact form: 450000 micros -> 0.45, never an exponent
    return Decimal(n).scaleb(-places).normalize(_EXACT)


def micros_to_price(micros: int) -> Decimal:
    """Micro-dollars -> dollars, in shortest exact form (450_000 -> Decimal('0.45'))."""
    d = _from_micros.get(micros) if type(micros) is int else None
    if d is None:
        d = _unscaled(micros, PRICE_PLACES, MAX_PRICE_MICROS, "micro-dollars")
        if len(_from_micros) >= _CACHE_LIMIT:
            _from_micros.clear()
        _from_micros[micros] = d
    return d


def centi_to_count(centi: int) -> Decimal:
    """Centi-contracts -> contracts, in shortest exact form (12_350 -> Decimal('123.5'))."""
    d = _from_centi.get(centi) if type(centi) is int else None
    if d is None:
        d = _unscaled(centi, COUNT_PLACES, MAX_COUNT_CENTI, "centi-contracts")
        if len(_from_centi) >= _CACHE_LIMIT:
            _from_centi.clear()
        _from_centi[centi] = d
    return d
