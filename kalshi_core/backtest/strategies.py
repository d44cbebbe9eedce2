"""Strategies: pure functions of past quotes -> entry/exit signals, and their registry.

A strategy is one function ``(QuoteArrays, Params) -> Signals`` plus a pydantic parameter
model, registered with ``@register_strategy(name, Params)``. Signals at bar t may use quotes at
bars <= t only (tests alter the future and check the past signals stay put); the engine then
executes them ``fill_delay_bars`` later, at the quotes of that later bar.

Signal arrays are memoised on the quotes per signal-relevant parameters, so sweep combinations
that differ only in execution parameters (contracts, timeouts, stops) compute them once.

Rolling statistics run on integer mids (``bid_u + ask_u`` = twice the mid in $0.0001), so
they are exact and a window of equal quotes has a variance of exactly zero (no signal) instead
of float noise blown up into a z-score.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
from numba import njit
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kalshi_core.backtest.fees import PRICE_SCALE
from kalshi_core.backtest.quotes import BoolArray, QuoteArrays


class StrategyError(ValueError):
    """Unknown strategy or parameters it rejects."""


@dataclass(frozen=True, slots=True)
class Signals:
    """What a strategy asks for; the simulators decide what fills."""

    entries: BoolArray
    exits: BoolArray
    contracts: Decimal
    max_hold_bars: int = 0  # 0: no time exit
    trail_stop: Decimal = Decimal(0)  # dollars below the highest bid since entry; 0: none


class StrategyParams(BaseModel):
    """Parameters every strategy has."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contracts: Decimal = Field(default=Decimal(10), gt=0, le=Decimal(1_000_000))

    @model_validator(mode="after")
    def _contracts_on_tick(self) -> StrategyParams:
        if (self.contracts * 100) % 1 != 0:
            raise ValueError("contracts must be a multiple of 0.01")
        return self


P = TypeVar("P", bound=StrategyParams)
StrategyFn = Callable[[QuoteArrays, Any], Signals]


@dataclass(frozen=True, slots=True)
class StrategySpec:
    """A registered strategy. `description` is the docstring's summary (its first sentence on
    one line: what a table or a menu shows); `details` the whole docstring, dedented."""

    name: str
    params_model: type[StrategyParams]
    fn: StrategyFn
    description: str
    details: str = ""


# A sentence ends at ". " before a capital or a backtick (not at "e.g. " or "0.5").
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z`])")


def _summary(doc: str) -> str:
    """The first sentence of a cleaned docstring's first paragraph, on one line: a summary
    wrapped over two lines would be cut mid-sentence by taking its first line."""
    text = " ".join(doc.split("\n\n", 1)[0].split())
    end = _SENTENCE_END.search(text)
    return text[: end.start() + 1] if end else text


_REGISTRY: dict[str, StrategySpec] = {}


def register_strategy(
    name: str, params_model: type[P]
) -> Callable[[Callable[[QuoteArrays, P], Signals]], Callable[[QuoteArrays, P], Signals]]:
    """Register ``fn(quotes, params) -> Signals`` under `name` with its parameter model."""

    def decorate(
        fn: Callable[[QuoteArrays, P], Signals],
    ) -> Callable[[QuoteArrays, P], Signals]:
        if name in _REGISTRY:
            raise StrategyError(f"strategy {name!r} is already registered")
        doc = inspect.cleandoc(fn.__doc__ or "")
        _REGISTRY[name] = StrategySpec(name, params_model, fn, _summary(doc), doc)
        return fn

    return decorate


def get_strategy(name: str) -> StrategySpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise StrategyError(f"unknown strategy {name!r} (registered: {known})") from None


def list_strategies() -> list[StrategySpec]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def parse_params(name: str, params: Mapping[str, Any] | StrategyParams | None) -> StrategyParams:
    spec = get_strategy(name)
    if isinstance(params, spec.params_model):
        return params
    raw = params.model_dump() if isinstance(params, StrategyParams) else dict(params or {})
    try:
        return spec.params_model.model_validate(raw)
    except ValueError as exc:
        raise StrategyError(f"bad parameters for {name!r}: {exc}") from exc


def compute_signals(
    quotes: QuoteArrays, name: str, params: Mapping[str, Any] | StrategyParams | None
) -> tuple[StrategyParams, Signals]:
    spec = get_strategy(name)
    parsed = parse_params(name, params)
    signals = spec.fn(quotes, parsed)
    shape = (quotes.n_bars, quotes.n_markets)
    if signals.entries.shape != shape or signals.exits.shape != shape:
        raise StrategyError(f"strategy {name!r} returned signals of the wrong shape")
    return parsed, signals


# --------------------------------------------------------------------------------------------
# Kernels (time-major loops: rows of the (T, N) arrays are contiguous)


@njit(cache=True)
def _mid2_nb(bid_u: Any, ask_u: Any, t: int, m: int) -> Any:
    """Twice the mid in $0.0001 when both sides quote live, else -1."""
    b = np.int64(bid_u[t, m])
    a = np.int64(ask_u[t, m])
    if b > 0 and a < PRICE_SCALE and a >= b:
        return b + a
    return -1


@njit(cache=True)
def zscore_signals_nb(
    bid_u: Any, ask_u: Any, lookback: int, min_periods: int, entry_z: float, exit_z: float
) -> tuple[Any, Any]:
    """Entry where the mid's z-score vs the rolling window ending at t is < -entry_z;
    exit where it is >= exit_z. Windows hold the last `lookback` bars (live mids only)."""
    n_bars, n_markets = bid_u.shape
    entries = np.zeros((n_bars, n_markets), dtype=np.bool_)
    exits = np.zeros((n_bars, n_markets), dtype=np.bool_)
    ring = np.full((lookback, n_markets), -1, dtype=np.int64)
    s1 = np.zeros(n_markets, dtype=np.int64)
    s2 = np.zeros(n_markets, dtype=np.int64)
    cnt = np.zeros(n_markets, dtype=np.int64)
    for t in range(n_bars):
        slot = t % lookback
        for m in range(n_markets):
            old = ring[slot, m]
            if old >= 0:
                s1[m] -= old
                s2[m] -= old * old
                cnt[m] -= 1
            x = _mid2_nb(bid_u, ask_u, t, m)
            ring[slot, m] = x
            if x < 0:
                continue
            s1[m] += x
            s2[m] += x * x
            cnt[m] += 1
            n = cnt[m]
            if n < min_periods:
                continue
            var_n2 = n * s2[m] - s1[m] * s1[m]
            if var_n2 <= 0:
                continue
            z = (x * n - s1[m]) / np.sqrt(var_n2)
            if z < -entry_z:
                entries[t, m] = True
            if z >= exit_z:
                exits[t, m] = True
    return entries, exits


@njit(cache=True)
def breakout_signals_nb(bid_u: Any, ask_u: Any, lookback: int, min_periods: int) -> Any:
    """Entry where the mid exceeds the highest live mid of the previous `lookback` bars."""
    n_bars, n_markets = bid_u.shape
    entries = np.zeros((n_bars, n_markets), dtype=np.bool_)
    ring = np.full((lookback, n_markets), -1, dtype=np.int64)
    cnt = np.zeros(n_markets, dtype=np.int64)
    # Highest value in the window and how many bars it stays there, recomputed only when the
    # maximum leaves the window (amortised O(1) for random-walk prices).
    best = np.full(n_markets, -1, dtype=np.int64)
    for t in range(n_bars):
        slot = t % lookback
        for m in range(n_markets):
            x = _mid2_nb(bid_u, ask_u, t, m)
            if x >= 0 and cnt[m] >= min_periods and x > best[m]:
                entries[t, m] = True
            old = ring[slot, m]
            ring[slot, m] = x
            if old >= 0:
                cnt[m] -= 1
            if x >= 0:
                cnt[m] += 1
            if x > best[m]:
                best[m] = x
            elif old >= 0 and old == best[m]:
                top = np.int64(-1)
                for r in range(lookback):
                    v = ring[r, m]
                    if v > top:
                        top = v
                best[m] = top
    return entries


# --------------------------------------------------------------------------------------------
# Strategies


def _price_units(value: Decimal) -> int:
    return int(value * PRICE_SCALE)


class FavouriteParams(StrategyParams):
    """Tail-end favourite: buy YES when its ask is in [lo, hi] within N hours of close."""

    lo: Decimal = Field(default=Decimal("0.85"), gt=0, lt=1)
    hi: Decimal = Field(default=Decimal("0.97"), gt=0, lt=1)
    hours_to_close: float = Field(default=24.0, gt=0)

    @model_validator(mode="after")
    def _band(self) -> FavouriteParams:
        if self.lo > self.hi:
            raise ValueError(f"lo {self.lo} must be <= hi {self.hi}")
        return self


@register_strategy("favourite", FavouriteParams)
def favourite(quotes: QuoteArrays, params: FavouriteParams) -> Signals:
    """Tail-end favourite: buy YES at an ask in [lo, hi] within N hours of close; hold to
    settlement. The close is the one the metadata gave at each bar (`close_known_ns`), not the
    market's final close: an early close or a moved close is no input before it was announced."""

    def make() -> tuple[BoolArray, BoolArray]:
        ask = quotes.ask_u
        in_band = (ask >= _price_units(params.lo)) & (ask <= _price_units(params.hi))
        to_close = quotes.close_known_ns - quotes.grid_ns()[:, None]
        window = int(params.hours_to_close * 3600 * 1e9)
        entries = np.ascontiguousarray(in_band & (to_close > 0) & (to_close <= window))
        return entries, np.zeros_like(entries)

    key = ("favourite", params.lo, params.hi, params.hours_to_close)
    entries, exits = quotes.cached(key, make)
    return Signals(entries, exits, params.contracts)


class MeanReversionParams(StrategyParams):
    """Mid z-score vs its rolling mean: enter below -entry_z, exit at exit_z or timeout."""

    lookback: int = Field(default=60, ge=3, le=100_000)
    entry_z: float = Field(default=2.0, gt=0)
    exit_z: float = 0.0
    timeout_bars: int = Field(default=120, ge=0)
    min_periods: int | None = Field(default=None, ge=2)


@register_strategy("mean_reversion", MeanReversionParams)
def mean_reversion(quotes: QuoteArrays, params: MeanReversionParams) -> Signals:
    """Mean reversion of the mid: z-score below -entry_z enters, z >= exit_z or the timeout
    exits."""
    min_p = params.min_periods or max(2, params.lookback // 2)
    key = ("zscore", params.lookback, min_p, params.entry_z, params.exit_z)
    entries, exits = quotes.cached(
        key,
        lambda: zscore_signals_nb(
            quotes.bid_u, quotes.ask_u, params.lookback, min_p, params.entry_z, params.exit_z
        ),
    )
    return Signals(entries, exits, params.contracts, max_hold_bars=params.timeout_bars)


class MomentumParams(StrategyParams):
    """Breakout: enter when the mid tops the rolling max of the lookback."""

    lookback: int = Field(default=60, ge=2, le=100_000)
    trail_stop: Decimal = Field(default=Decimal("0.05"), ge=0, lt=1)
    max_hold_bars: int = Field(default=240, ge=0)
    max_entry_ask: Decimal = Field(default=Decimal("0.95"), gt=0, le=1)
    min_periods: int | None = Field(default=None, ge=1)


@register_strategy("momentum", MomentumParams)
def momentum(quotes: QuoteArrays, params: MomentumParams) -> Signals:
    """Momentum breakout: the mid above the highest mid of the previous lookback bars enters;
    a trailing stop on the bid or the time limit exits."""
    if (params.trail_stop * PRICE_SCALE) % 1 != 0:
        raise StrategyError("trail_stop must be a multiple of $0.0001")
    min_p = params.min_periods or max(1, params.lookback // 2)

    def make() -> tuple[BoolArray, BoolArray]:
        entries = breakout_signals_nb(quotes.bid_u, quotes.ask_u, params.lookback, min_p)
        entries &= quotes.ask_u <= _price_units(params.max_entry_ask)
        return entries, np.zeros_like(entries)

    key = ("breakout", params.lookback, min_p, params.max_entry_ask)
    entries, exits = quotes.cached(key, make)
    return Signals(
        entries,
        exits,
        params.contracts,
        max_hold_bars=params.max_hold_bars,
        trail_stop=params.trail_stop,
    )


Band = tuple[Decimal, Decimal]


class CalibrationBandsParams(StrategyParams):
    """Price bands to buy in, as a calibration reports them: [lo, hi), the last closed at 1."""

    bands: tuple[Band, ...] = Field(
        default=((Decimal("0.80"), Decimal("0.95")),), min_length=1, max_length=100
    )

    @model_validator(mode="after")
    def _bands_are_prices(self) -> CalibrationBandsParams:
        for lo, hi in self.bands:
            if not Decimal(0) <= lo < hi <= Decimal(1):
                raise ValueError(f"band [{lo}, {hi}) must satisfy 0 <= lo < hi <= 1")
            if (lo * PRICE_SCALE) % 1 != 0 or (hi * PRICE_SCALE) % 1 != 0:
                raise ValueError(f"band [{lo}, {hi}) edges must be multiples of $0.0001")
        return self


@register_strategy("calibration_bands", CalibrationBandsParams)
def calibration_bands(quotes: QuoteArrays, params: CalibrationBandsParams) -> Signals:
    """Calibration bands: buy YES at an ask inside a given band; hold to settlement.

    Meant for the bands where a calibration measured a positive return after fees (the
    favourite-longshot pattern): bands are half-open [lo, hi) like the calibration's
    (`kalshi_core.analysis.calibration`), a band ending at 1 also holds 1. The bands are an
    input: computing them from prints before the backtest window (a train period) is the
    caller's job; the rule itself only reads the ask of bar t. On a trade tape the ask of the
    signal view is the last print (while fresh). On a universe listing each market's NO side
    as a market of its own (YES price 1 - p, taker sides swapped, result flipped) the same
    rule buys whichever side is in a band."""

    def make() -> tuple[BoolArray, BoolArray]:
        ask = quotes.ask_u
        entries = np.zeros(ask.shape, dtype=np.bool_)
        for lo, hi in params.bands:
            upper = ask <= PRICE_SCALE if hi == 1 else ask < _price_units(hi)
            entries |= (ask >= _price_units(lo)) & upper
        entries &= ask > 0  # stale cells are -1; a zero ask is no price to buy at
        return np.ascontiguousarray(entries), np.zeros_like(entries)

    entries, exits = quotes.cached(("calibration_bands", params.bands), make)
    return Signals(entries, exits, params.contracts)
