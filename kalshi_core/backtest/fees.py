"""Kalshi trading fees, exact (Decimal), as the exchange charges them.

Per fill, the fee model gives ``M * rate * C * P * (1 - P)`` (M = the series' ``fee_multiplier``,
C = contracts, P = price in dollars), rounded *up* to $0.0001. Per order, Kalshi's fee accumulator
makes the total converge to what one equivalent fill would cost, rounded up to the cent
(docs.kalshi.com "Fee Rounding"). So ten 1-lot fills at $0.50 in one order cost $0.18, not $0.20.

Rates (fee schedule, field reference `Series.fee_type`):

- taker 0.07 on every quadratic series;
- maker 0.0175 only on ``quadratic_with_maker_fees`` (and ``quadratic_with_combo_maker_fees``,
  charged here as well: combo markets are excluded by default, so this only matters if someone
  opts in, and over- rather than under-charging keeps a backtest honest);
- ``flat`` series follow Kalshi's "Specific Trading Fees Table", which the API reference does not
  carry: the caller must state the quadratic rate (``flat_rate``) or the schedule is refused;
- a multiplier of 0 (or a market fee waiver) means no fee.

`fee_coefficient_units` turns a schedule into the exact integer the numba kernels use, so the
vectorised path and this module cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Literal

CENT = Decimal("0.01")
CENTICENT = Decimal("0.0001")
TAKER_RATE = Decimal("0.07")
MAKER_RATE = Decimal("0.0175")

Role = Literal["taker", "maker"]

# Integer units shared with the kernels: prices in $0.0001, contracts in 0.01, the fee
# coefficient M * rate in 1e-8.
PRICE_SCALE = 10_000
COUNT_SCALE = 100
COEF_SCALE = 100_000_000


class FeeScheduleError(ValueError):
    """A fee schedule that cannot be priced exactly (unknown type, missing flat rate, ...)."""


class FeeType(StrEnum):
    QUADRATIC = "quadratic"
    QUADRATIC_WITH_MAKER_FEES = "quadratic_with_maker_fees"
    QUADRATIC_WITH_COMBO_MAKER_FEES = "quadratic_with_combo_maker_fees"
    FLAT = "flat"


_MAKER_FEE_TYPES = {FeeType.QUADRATIC_WITH_MAKER_FEES, FeeType.QUADRATIC_WITH_COMBO_MAKER_FEES}


def ceil_to(value: Decimal, step: Decimal) -> Decimal:
    """`value` rounded up to a multiple of `step` (towards +infinity)."""
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """How one market's orders are charged."""

    fee_type: FeeType = FeeType.QUADRATIC
    multiplier: Decimal = Decimal(1)
    flat_rate: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.multiplier.is_finite() or self.multiplier < 0:
            raise FeeScheduleError(f"fee_multiplier {self.multiplier} must be a finite number >= 0")
        if self.fee_type is FeeType.FLAT and self.flat_rate is None and self.multiplier != 0:
            raise FeeScheduleError(
                "fee_type 'flat' follows Kalshi's Specific Trading Fees Table, which the API "
                "reference does not carry: pass flat_rate (the quadratic rate for this series)"
            )
        if self.flat_rate is not None and (not self.flat_rate.is_finite() or self.flat_rate < 0):
            raise FeeScheduleError(f"flat_rate {self.flat_rate} must be a finite number >= 0")

    @classmethod
    def parse(
        cls,
        fee_type: str | None,
        multiplier: Decimal | float | int | str | None = None,
        flat_rate: Decimal | None = None,
    ) -> FeeSchedule:
        """Build from the wire/storage strings; an unknown `fee_type` is a clear error."""
        try:
            ft = FeeType(fee_type or FeeType.QUADRATIC)
        except ValueError as exc:
            known = ", ".join(f.value for f in FeeType)
            raise FeeScheduleError(f"unknown fee_type {fee_type!r} (known: {known})") from exc
        m = Decimal(1) if multiplier is None else Decimal(str(multiplier))
        return cls(fee_type=ft, multiplier=m, flat_rate=flat_rate)

    def rate(self, role: Role = "taker") -> Decimal:
        """The quadratic rate before the multiplier."""
        if role == "maker":
            return MAKER_RATE if self.fee_type in _MAKER_FEE_TYPES else Decimal(0)
        if self.fee_type is FeeType.FLAT:
            return self.flat_rate if self.flat_rate is not None else Decimal(0)
        return TAKER_RATE


def fill_fee(
    contracts: Decimal, price: Decimal, schedule: FeeSchedule, role: Role = "taker"
) -> Decimal:
    """Trade fee of one fill, rounded up to $0.0001 (before the per-order cent rounding)."""
    _check_fill(contracts, price)
    raw = schedule.multiplier * schedule.rate(role) * contracts * price * (1 - price)
    return ceil_to(raw, CENTICENT)


def order_fee(
    fills: Iterable[tuple[Decimal, Decimal]], schedule: FeeSchedule, role: Role = "taker"
) -> Decimal:
    """Fee of one order made of `(contracts, price)` fills: the sum of the fills' trade fees
    (each rounded up to $0.0001), rounded up to the cent once for the whole order."""
    total = sum((fill_fee(c, p, schedule, role) for c, p in fills), Decimal(0))
    return ceil_to(total, CENT)


def fee_coefficient_units(schedule: FeeSchedule, role: Role = "taker") -> int:
    """``M * rate`` as an exact integer in 1e-8 (what the numba kernels multiply with)."""
    coef = schedule.multiplier * schedule.rate(role) * COEF_SCALE
    if coef != coef.to_integral_value():
        raise FeeScheduleError(
            f"fee coefficient {schedule.multiplier} * {schedule.rate(role)} is finer than 1e-8; "
            "the vectorised engine cannot price it exactly"
        )
    if coef > 10 * TAKER_RATE * COEF_SCALE:
        raise FeeScheduleError(f"fee coefficient {coef / COEF_SCALE} above 0.7 is not supported")
    return int(coef)


def _check_fill(contracts: Decimal, price: Decimal) -> None:
    if not contracts.is_finite() or contracts < 0:
        raise ValueError(f"contracts {contracts} must be a finite number >= 0")
    if not price.is_finite() or price < 0 or price > 1:
        raise ValueError(f"price {price} out of range: Kalshi prices are dollars in [0, 1]")
