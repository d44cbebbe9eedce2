"""The taker figures of the real-data report (Becker-style): the excess return of takers by
side bought, before and after the taker fee, and how often contracts priced at 5 cents won."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bench.real_strategy.decimals import ONE, ratio
from kalshi_core.backtest.fees import FeeSchedule, order_fee

FIVE_CENTS = Decimal("0.05")
# The dumps hold no series fee schedule: every print is charged Kalshi's quadratic taker fee
# with multiplier 1.
QUADRATIC = FeeSchedule.parse("quadratic", ONE)


@dataclass(frozen=True, slots=True)
class TakerPrint:
    """A print with its taker side and its market's result (Becker-style figures)."""

    ticker: str
    yes_price: Decimal
    count: Decimal
    taker_side: str | None
    result: str | None


@dataclass(slots=True)
class _Excess:
    prints: int = 0
    contracts: Decimal = Decimal(0)
    excess: Decimal = Decimal(0)  # sum of c (won - price)
    fees: Decimal = Decimal(0)
    per_print: Decimal = Decimal(0)  # sum of (won - price), one per print

    def figures(self) -> dict[str, Any]:
        return {
            "prints": self.prints,
            "contracts": str(self.contracts),
            "excess_before_fees": ratio(self.excess, self.contracts),
            "excess_after_fees": ratio(self.excess - self.fees, self.contracts),
            "excess_per_print_before_fees": ratio(self.per_print, Decimal(self.prints)),
        }


def taker_figures(prints: Iterable[TakerPrint]) -> dict[str, Any]:
    """Over every print of a market settled yes/no (no close window, as Becker counts trades):
    the taker's excess return (win of the side bought minus its price), contract-weighted and
    per print, before and after the taker fee, for all takers and per side bought; the makers'
    is minus the takers' before fees (makers pay no fee here). And how often contracts priced
    at exactly 5 cents won: YES at 0.05 from a print at 0.05, NO at 0.05 from one at 0.95,
    contract-weighted and per market side (each market side at 5c counted once)."""
    takers = {"all": _Excess(), "yes": _Excess(), "no": _Excess()}
    five = five_won = Decimal(0)
    five_sides: dict[str, bool] = {}
    for p in prints:
        if p.result not in ("yes", "no") or p.count <= 0:
            continue
        for price, side in ((p.yes_price, "yes"), (ONE - p.yes_price, "no")):
            if price == FIVE_CENTS:
                five += p.count
                five_won += p.count if p.result == side else 0
                five_sides[f"{p.ticker} {side}"] = p.result == side
        if p.taker_side not in ("yes", "no"):
            continue
        price = p.yes_price if p.taker_side == "yes" else ONE - p.yes_price
        won = ONE if p.result == p.taker_side else Decimal(0)
        fee = order_fee([(p.count, price)], QUADRATIC)
        for acc in (takers["all"], takers[p.taker_side]):
            acc.prints += 1
            acc.contracts += p.count
            acc.excess += p.count * (won - price)
            acc.fees += fee
            acc.per_print += won - price
    return {
        "takers": {k: v.figures() for k, v in takers.items()},
        "contracts_at_5c": str(five),
        "win_rate_at_5c": ratio(five_won, five),
        "market_sides_at_5c": len(five_sides),
        "market_sides_at_5c_won": sum(five_sides.values()),
    }
