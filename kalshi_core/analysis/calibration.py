"""Calibration (reliability) of Kalshi trade prices: do YES prints at p settle YES p of the time?

The definition, in full in docs/CALIBRATION.md so anyone can recompute it:

- Observations are trade prints (`market_trades`) of markets whose result is "yes" or "no".
  A print is left out, and counted under the first reason that applies, when its market is not
  settled yes/no (void, scalar, open, unknown: `unsettled`), has no close time
  (`no_close_time`), was printed at or after `close_time - close window` (`close_window`), is
  of 0 contracts (`zero_count`) or at a YES price of 0 (`zero_price`: a return on a zero price
  is undefined).
- Bands are `[e_i, e_i+1)` over the edges; the last band also holds its upper edge (1.00).
- Per band, weighted by contracts c: mean price sum(c p)/sum(c), YES win rate sum(c y)/sum(c)
  (y = 1 for a "yes" result), and the return of buying YES at the print's price as a taker and
  holding to settlement, sum((c (y - p) - fee) / p) / sum(c): per contract (y - p - fee/c) / p.
- The fee of a print is Kalshi's taker fee of one order of `count` contracts at the print's
  price (`kalshi_core.backtest.fees.order_fee`: M * rate * C * P * (1 - P) rounded up to
  $0.0001, then up to the cent once for the order), with the fee type and multiplier of the
  market's series, an event's override taking precedence (as the backtests do).
- Brier score over every observation: sum(c (p - y)^2) / sum(c).

Sums are exact (Decimal with 50 significant digits); ratios are rounded half-even to 6 decimal
places ($0.000001, Kalshi's finest price step) once, at the end.

    result = await run_calibration(repos.calibration, CalibrationParams(series_ticker="KXBTCD"))
"""

from __future__ import annotations

import bisect
from collections.abc import AsyncIterable, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from itertools import pairwise
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kalshi_core.models import AwareDatetime

if TYPE_CHECKING:
    from kalshi_core.backtest.fees import FeeSchedule
    from kalshi_core.storage.repositories import CalibrationRepository

DEFAULT_EDGES: Final[tuple[Decimal, ...]] = tuple(
    Decimal(e)
    for e in ("0", "0.05", "0.10", "0.20", "0.35", "0.50", "0.65", "0.80", "0.90", "0.95", "1.00")
)
DEFAULT_CLOSE_WINDOW_S: Final = 600
RATIO_STEP: Final = Decimal("0.000001")
EXCLUSION_REASONS: Final = (
    "unsettled",
    "no_close_time",
    "close_window",
    "zero_count",
    "zero_price",
)
"""Why a print was left out, in the order the rules are applied."""

_CONTEXT: Final = Context(prec=50)
_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)


class CalibrationError(ValueError):
    """Inputs the analysis cannot price (a fee schedule it cannot charge exactly, ...)."""


@dataclass(frozen=True, slots=True)
class CalibrationTrade:
    """One trade print with what the analysis needs of its market (a plain row, not validated:
    the repository reads millions of them)."""

    ticker: str
    created_time: datetime
    yes_price: Decimal
    count: Decimal
    result: str | None
    close_time: datetime | None
    fee_type: str = "quadratic"  # effective: the event's override, else the series'
    fee_multiplier: Decimal = _ONE


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CalibrationParams(_Frozen):
    """What an analysis covers and how it bands: one stored analysis per distinct value."""

    series_ticker: str | None = Field(
        default=None, min_length=1, max_length=200, description="None: every series, pooled."
    )
    close_window_s: int = Field(default=DEFAULT_CLOSE_WINDOW_S, ge=0, le=366 * 86400)
    band_edges: tuple[Decimal, ...] = DEFAULT_EDGES
    flat_rate: Decimal | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Quadratic taker rate for series of fee_type 'flat' (their table is not "
        "in Kalshi's API); without it such a series is refused.",
    )

    @field_validator("band_edges")
    @classmethod
    def _edges_cover_prices(cls, edges: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
        if len(edges) < 2:
            raise ValueError("band_edges needs at least two edges (one band)")
        if any(not e.is_finite() for e in edges):
            raise ValueError("band_edges must be finite numbers")
        if edges[0] != _ZERO or edges[-1] != _ONE:
            raise ValueError(
                f"band_edges must start at 0 and end at 1 (every price has a band), got "
                f"{edges[0]} .. {edges[-1]}"
            )
        if any(a >= b for a, b in pairwise(edges)):
            raise ValueError("band_edges must be strictly increasing")
        return edges


class CalibrationBand(_Frozen):
    """One price band. Ratios are None for a band without observations."""

    lower: Decimal
    upper: Decimal  # exclusive, except for the last band (holds 1.00)
    observations: int = Field(ge=0)
    contracts: Decimal
    mean_price: Decimal | None
    win_rate: Decimal | None
    return_after_fees: Decimal | None
    fees: Decimal  # taker fees of the band's prints, dollars


class CalibrationResult(_Frozen):
    """One analysis: its parameters, totals, exclusions and bands."""

    id: int | None = None
    series_ticker: str | None
    close_window_s: int
    band_edges: tuple[Decimal, ...]
    flat_rate: Decimal | None = None
    markets: int = Field(ge=0)
    observations: int = Field(ge=0)
    contracts: Decimal
    brier: Decimal | None
    first_trade_at: AwareDatetime | None = None
    last_trade_at: AwareDatetime | None = None
    exclusions: dict[str, int]
    bands: list[CalibrationBand]
    computed_at: AwareDatetime | None = None

    @property
    def params(self) -> CalibrationParams:
        return CalibrationParams(
            series_ticker=self.series_ticker,
            close_window_s=self.close_window_s,
            band_edges=self.band_edges,
            flat_rate=self.flat_rate,
        )


def band_index(price: Decimal, edges: Sequence[Decimal]) -> int:
    """The band of `price`: [e_i, e_i+1), a price on an inner edge in the upper band, the last
    edge in the last band."""
    if price < edges[0] or price > edges[-1]:
        raise ValueError(f"price {price} outside the bands {edges[0]} .. {edges[-1]}")
    return min(bisect.bisect_right(edges, price) - 1, len(edges) - 2)


def exclusion(trade: CalibrationTrade, close_window: timedelta) -> str | None:
    """Why `trade` is not an observation (the first rule that applies), or None."""
    if trade.result not in ("yes", "no"):
        return "unsettled"
    if trade.close_time is None:
        return "no_close_time"
    if trade.created_time >= trade.close_time - close_window:
        return "close_window"
    if trade.count <= _ZERO:
        return "zero_count"
    if trade.yes_price <= _ZERO:
        return "zero_price"
    return None


@dataclass(slots=True)
class _Sums:
    observations: int = 0
    contracts: Decimal = _ZERO
    price_x_contracts: Decimal = _ZERO
    yes_contracts: Decimal = _ZERO
    returns: Decimal = _ZERO  # sum over prints of (c (y - p) - fee) / p
    fees: Decimal = _ZERO


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == _ZERO:
        return None
    with localcontext(_CONTEXT):
        return (numerator / denominator).quantize(RATIO_STEP, rounding=ROUND_HALF_EVEN)


class CalibrationAccumulator:
    """Adds prints one at a time (constant memory); `result()` is the analysis so far."""

    def __init__(self, params: CalibrationParams) -> None:
        self.params = params
        self._window = timedelta(seconds=params.close_window_s)
        self._edges = params.band_edges
        self._bands = [_Sums() for _ in range(len(self._edges) - 1)]
        self._squared_errors = _ZERO
        self._excluded = dict.fromkeys(EXCLUSION_REASONS, 0)
        self._markets: set[str] = set()
        self._first: datetime | None = None
        self._last: datetime | None = None
        self._schedules: dict[tuple[str, Decimal], FeeSchedule] = {}

    def _schedule(self, trade: CalibrationTrade) -> FeeSchedule:
        # Imported here: the API imports this module for its result models and must not load
        # the backtest package (vectorbt, numba) just for that.
        from kalshi_core.backtest.fees import FeeSchedule, FeeScheduleError

        key = (trade.fee_type, trade.fee_multiplier)
        schedule = self._schedules.get(key)
        if schedule is None:
            try:
                schedule = FeeSchedule.parse(
                    trade.fee_type, trade.fee_multiplier, self.params.flat_rate
                )
            except FeeScheduleError as exc:
                raise CalibrationError(f"{trade.ticker}: {exc}") from exc
            self._schedules[key] = schedule
        return schedule

    def add(self, trade: CalibrationTrade) -> None:
        from kalshi_core.backtest.fees import order_fee

        reason = exclusion(trade, self._window)
        if reason is not None:
            self._excluded[reason] += 1
            return
        c, p = trade.count, trade.yes_price
        y = _ONE if trade.result == "yes" else _ZERO
        with localcontext(_CONTEXT):
            fee = order_fee([(c, p)], self._schedule(trade), "taker")
            band = self._bands[band_index(p, self._edges)]
            band.observations += 1
            band.contracts += c
            band.price_x_contracts += c * p
            band.yes_contracts += c * y
            band.fees += fee
            band.returns += (c * (y - p) - fee) / p
            self._squared_errors += c * (p - y) ** 2
        self._markets.add(trade.ticker)
        if self._first is None or trade.created_time < self._first:
            self._first = trade.created_time
        if self._last is None or trade.created_time > self._last:
            self._last = trade.created_time

    def add_all(self, trades: Iterable[CalibrationTrade]) -> None:
        for trade in trades:
            self.add(trade)

    def result(self) -> CalibrationResult:
        bands = [
            CalibrationBand(
                lower=self._edges[i],
                upper=self._edges[i + 1],
                observations=s.observations,
                contracts=s.contracts,
                mean_price=_ratio(s.price_x_contracts, s.contracts),
                win_rate=_ratio(s.yes_contracts, s.contracts),
                return_after_fees=_ratio(s.returns, s.contracts),
                fees=s.fees,
            )
            for i, s in enumerate(self._bands)
        ]
        contracts = sum((s.contracts for s in self._bands), _ZERO)
        return CalibrationResult(
            series_ticker=self.params.series_ticker,
            close_window_s=self.params.close_window_s,
            band_edges=self._edges,
            flat_rate=self.params.flat_rate,
            markets=len(self._markets),
            observations=sum(s.observations for s in self._bands),
            contracts=contracts,
            brier=_ratio(self._squared_errors, contracts),
            first_trade_at=self._first,
            last_trade_at=self._last,
            exclusions=dict(self._excluded),
            bands=bands,
        )


def calibrate(trades: Iterable[CalibrationTrade], params: CalibrationParams) -> CalibrationResult:
    """The analysis of `trades` (the pure function: no I/O)."""
    acc = CalibrationAccumulator(params)
    acc.add_all(trades)
    return acc.result()


async def calibrate_stream(
    trades: AsyncIterable[CalibrationTrade], params: CalibrationParams
) -> CalibrationResult:
    """`calibrate` over an async stream (a repository cursor), in constant memory."""
    acc = CalibrationAccumulator(params)
    async for trade in trades:
        acc.add(trade)
    return acc.result()


async def run_calibration(
    repo: CalibrationRepository, params: CalibrationParams | None = None
) -> CalibrationResult:
    """Read the prints in scope through the repository and analyse them (not stored: the
    caller saves the result if it wants to, e.g. `await repos.calibration.save(result)`)."""
    params = params or CalibrationParams()
    # Closed here, not by the garbage collector: a stream left open on an error (a fee it
    # cannot price) would hold its connection and transaction until the loop shuts down.
    async with aclosing(repo.trades(params.series_ticker)) as trades:
        return await calibrate_stream(trades, params)
