"""The containers the strategies and simulators read: `QuoteArrays` (the time x market grid of
quotes, in floats and in the kernels' integer units) and `MarketMeta` (what they need to know
about one market besides its quotes).

Per-market metadata (result, close and settlement times, fee schedule) is carried alongside
and turned into bar indices here, once, so the simulators only compare integers. What a quote
is (freshness, the fill and signal views) is set out in `kalshi_core.backtest.quotes`; the
arrays are filled there and in `gridding` and `candles_and_trades`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator

from kalshi_core.backtest.fees import PRICE_SCALE, FeeSchedule, fee_coefficient_units
from kalshi_core.backtest.kernels import K_OPEN, K_PAYOUT, K_VOID, NO_INDEX
from kalshi_core.backtest.quote_units import (
    FloatArray,
    IntArray,
    QuoteDataError,
    to_ns,
    to_price_units,
    to_size_units,
)
from kalshi_core.models import AwareDatetime, Event, Market, Series

DataSource = Literal["snapshots", "candles", "trades"]

T = TypeVar("T")
_MEMO_SIZE = 4


class MarketMeta(BaseModel):
    """What the simulators need to know about one market besides its quotes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticker: str
    result: Literal["yes", "no", "void", "scalar"] | None = None
    settlement_value: Decimal | None = None  # dollars per YES contract for a scalar result
    close_time: AwareDatetime | None = None  # the actual (latest) close: fills stop there
    settlement_time: AwareDatetime | None = None
    fee_type: str = "quadratic"
    fee_multiplier: Decimal = Decimal(1)
    flat_rate: Decimal | None = None
    fee_waiver_until: AwareDatetime | None = None
    # The close as the metadata gave it over time: (known_from, close_time) pairs, oldest
    # first; a close_time of None means no close was given from then on. Signals read the
    # close known at each bar from here, so a close moved (or a market closed early) later
    # does not leak into earlier bars. None: no history given (metadata built in memory, as
    # tests and notebooks over frames do); then `close_time` counts as known at every bar.
    close_times: tuple[tuple[AwareDatetime, AwareDatetime | None], ...] | None = None

    @model_validator(mode="after")
    def _close_times_in_order(self) -> MarketMeta:
        if self.close_times and any(a[0] >= b[0] for a, b in pairwise(self.close_times)):
            raise ValueError(f"{self.ticker}: close_times must be in known_from order")
        return self

    def fee_schedule(self) -> FeeSchedule:
        return FeeSchedule.parse(self.fee_type, self.fee_multiplier, self.flat_rate)

    def payout(self) -> Decimal | None:
        """Dollars per YES contract at settlement; None while open or when void."""
        if self.result == "yes":
            return Decimal(1)
        if self.result == "no":
            return Decimal(0)
        if self.result == "scalar":
            if self.settlement_value is None:
                raise QuoteDataError(f"{self.ticker}: result 'scalar' without settlement_value")
            return self.settlement_value
        return None

    @classmethod
    def from_market(
        cls,
        market: Market,
        series: Series | None = None,
        event: Event | None = None,
        flat_rate: Decimal | None = None,
        close_times: Sequence[tuple[datetime, datetime | None]] | None = None,
    ) -> MarketMeta:
        """Metadata from stored models; an event's fee override beats its series' fee.
        `close_times` is the stored close-time history (see `close_time_history`)."""
        fee_type = series.fee_type if series is not None else "quadratic"
        multiplier = series.fee_multiplier if series is not None else Decimal(1)
        if event is not None and event.fee_type_override:
            fee_type = event.fee_type_override
            if event.fee_multiplier_override is not None:
                multiplier = event.fee_multiplier_override
        result = market.result if market.result in ("yes", "no", "void", "scalar") else None
        return cls(
            ticker=market.ticker,
            result=result,
            settlement_value=market.settlement_value,
            close_time=market.close_time,
            settlement_time=market.settlement_ts,
            fee_type=fee_type,
            fee_multiplier=multiplier,
            flat_rate=flat_rate,
            close_times=None if close_times is None else tuple(close_times),
        )


@dataclass(eq=False)
class QuoteArrays:
    """Time x market arrays on a fixed grid (rows = `index`, columns = `tickers`).

    Float arrays are dollars/contracts with NaN for stale or missing; the ``*_u`` arrays are the
    same values in the kernels' integer units (-1 when stale; sizes `UNCAPPED` when unknown).

    Strategies read ``bid``/``ask`` (the signal view); the simulators fill orders against
    ``fill_bid``/``fill_ask`` and their sizes (the fill view). Left empty (the default) the fill
    view is the signal view: a book. A trade tape gives them apart (`quotes_from_trades`).
    ``max_wait_bars``: how many bars after it becomes executable an order keeps waiting for a
    fillable bar (0: it is dropped when its first bar cannot fill it).

    `close_ns` and `close_idx` are each market's actual close, what the exchange enforces;
    `close_known_ns` is the close a signal may know at each bar (see `MarketMeta.close_times`).
    """

    index: pd.DatetimeIndex
    tickers: tuple[str, ...]
    bid: FloatArray
    ask: FloatArray
    bid_size: FloatArray
    ask_size: FloatArray
    last: FloatArray
    mark: FloatArray
    meta: tuple[MarketMeta, ...]
    data_source: DataSource = "snapshots"
    staleness: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(minutes=5))
    sizes_capped: bool = True
    fill_bid: FloatArray = field(default_factory=lambda: _NO_ARRAY)
    fill_ask: FloatArray = field(default_factory=lambda: _NO_ARRAY)
    fill_bid_size: FloatArray = field(default_factory=lambda: _NO_ARRAY)
    fill_ask_size: FloatArray = field(default_factory=lambda: _NO_ARRAY)
    max_wait_bars: int = 0

    bid_u: npt.NDArray[np.int32] = field(init=False, repr=False)
    ask_u: npt.NDArray[np.int32] = field(init=False, repr=False)
    mark_u: npt.NDArray[np.int32] = field(init=False, repr=False)
    bid_size_u: IntArray = field(init=False, repr=False)
    ask_size_u: IntArray = field(init=False, repr=False)
    fill_bid_u: npt.NDArray[np.int32] = field(init=False, repr=False)
    fill_ask_u: npt.NDArray[np.int32] = field(init=False, repr=False)
    fill_bid_size_u: IntArray = field(init=False, repr=False)
    fill_ask_size_u: IntArray = field(init=False, repr=False)
    close_idx: IntArray = field(init=False, repr=False)
    settle_idx: IntArray = field(init=False, repr=False)
    result_kind: npt.NDArray[np.int8] = field(init=False, repr=False)
    payout_u: IntArray = field(init=False, repr=False)
    fee_coef_u: IntArray = field(init=False, repr=False)
    fee_free_idx: IntArray = field(init=False, repr=False)
    close_ns: IntArray = field(init=False, repr=False)
    close_known_ns: IntArray = field(init=False, repr=False)  # (n_bars, n_markets)
    _memo: dict[tuple[Any, ...], Any] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.index, pd.DatetimeIndex) or self.index.tz is None:
            raise QuoteDataError("index must be a timezone-aware pandas DatetimeIndex")
        if not self.index.is_monotonic_increasing or self.index.has_duplicates:
            raise QuoteDataError("index must be strictly increasing")
        self.index = self.index.tz_convert("UTC").as_unit("ns")
        shape = (len(self.index), len(self.tickers))
        for name in ("bid", "ask", "bid_size", "ask_size", "last", "mark"):
            arr = np.ascontiguousarray(getattr(self, name), dtype=np.float64)
            if arr.shape != shape:
                raise QuoteDataError(f"{name} has shape {arr.shape}, expected {shape}")
            setattr(self, name, arr)
        if [m.ticker for m in self.meta] != list(self.tickers):
            raise QuoteDataError("meta must list one MarketMeta per ticker, in ticker order")
        self.bid_u = to_price_units("bid", self.bid)
        self.ask_u = to_price_units("ask", self.ask)
        self.mark_u = to_price_units("mark", self.mark)
        self.bid_size_u = to_size_units("bid_size", self.bid_size)
        self.ask_size_u = to_size_units("ask_size", self.ask_size)
        self._fill_view(shape)
        if self.max_wait_bars < 0:
            raise QuoteDataError("max_wait_bars must be >= 0")
        self._index_metadata()

    @property
    def n_bars(self) -> int:
        return len(self.index)

    @property
    def n_markets(self) -> int:
        return len(self.tickers)

    @property
    def step(self) -> pd.Timedelta:
        if len(self.index) < 2:
            return pd.Timedelta(minutes=1)
        return pd.Timedelta(self.index[1] - self.index[0])

    def _fill_view(self, shape: tuple[int, int]) -> None:
        names = ("fill_bid", "fill_ask", "fill_bid_size", "fill_ask_size")
        given = [getattr(self, n).shape != _NO_ARRAY.shape for n in names]
        if not any(given):
            # A book: orders fill against the quotes the signals read (same arrays, no copy).
            self.fill_bid, self.fill_ask = self.bid, self.ask
            self.fill_bid_size, self.fill_ask_size = self.bid_size, self.ask_size
            self.fill_bid_u, self.fill_ask_u = self.bid_u, self.ask_u
            self.fill_bid_size_u, self.fill_ask_size_u = self.bid_size_u, self.ask_size_u
            return
        if not all(given):
            raise QuoteDataError(f"give all of {', '.join(names)} or none")
        for name in names:
            arr = np.ascontiguousarray(getattr(self, name), dtype=np.float64)
            if arr.shape != shape:
                raise QuoteDataError(f"{name} has shape {arr.shape}, expected {shape}")
            setattr(self, name, arr)
        self.fill_bid_u = to_price_units("fill_bid", self.fill_bid)
        self.fill_ask_u = to_price_units("fill_ask", self.fill_ask)
        self.fill_bid_size_u = to_size_units("fill_bid_size", self.fill_bid_size)
        self.fill_ask_size_u = to_size_units("fill_ask_size", self.fill_ask_size)

    def mid(self) -> FloatArray:
        """YES mid where both sides quote live (bid > 0, ask < 1), else NaN.

        On a trade tape (``data_source == "trades"``) the signal view's bid and ask are both
        the last print, so this is the last traded price (while fresh), not a book's mid."""
        live = (self.bid > 0) & (self.ask < 1) & (self.ask >= self.bid)
        with np.errstate(invalid="ignore"):
            return np.where(live, (self.bid + self.ask) / 2, np.nan)

    def cached(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """Memo for arrays derived from these quotes (e.g. a strategy's signals, which sweep
        combinations differing only in execution parameters share). Keeps the last few; numpy
        results are made read-only so a caller cannot alter another's copy."""
        if key in self._memo:
            return cast(T, self._memo[key])
        value = make()
        for arr in value if isinstance(value, tuple) else (value,):
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.pop(next(iter(self._memo)))
        self._memo[key] = value
        return value

    def grid_ns(self) -> IntArray:
        return np.asarray(self.index.asi8, dtype=np.int64)

    def _index_metadata(self) -> None:
        grid = self.grid_ns()
        n = self.n_markets
        self.close_idx = np.full(n, NO_INDEX, dtype=np.int64)
        self.settle_idx = np.full(n, NO_INDEX, dtype=np.int64)
        self.result_kind = np.full(n, K_OPEN, dtype=np.int8)
        self.payout_u = np.zeros(n, dtype=np.int64)
        self.fee_coef_u = np.zeros(n, dtype=np.int64)
        self.fee_free_idx = np.zeros(n, dtype=np.int64)
        self.close_ns = np.full(n, NO_INDEX, dtype=np.int64)
        self.close_known_ns = np.full((self.n_bars, n), NO_INDEX, dtype=np.int64)
        for j, m in enumerate(self.meta):
            self.fee_coef_u[j] = fee_coefficient_units(m.fee_schedule())
            if m.fee_waiver_until is not None:
                self.fee_free_idx[j] = _first_bar_at_or_after(grid, m.fee_waiver_until)
            if m.close_time is not None:
                # The actual close, even when it was announced late: no order fills after the
                # market closed, which is the exchange's reality, not a signal input.
                self.close_ns[j] = to_ns(m.close_time)
                self.close_idx[j] = _first_bar_at_or_after(grid, m.close_time)
            if m.close_times is None:
                if m.close_time is not None:
                    self.close_known_ns[:, j] = to_ns(m.close_time)
            else:
                # Each entry holds from its first bar on until the next one takes over; bars
                # before the first entry know no close.
                for known_from, close in m.close_times:
                    lo = _first_bar_at_or_after(grid, _in_ns_range(known_from))
                    self.close_known_ns[lo:, j] = NO_INDEX if close is None else to_ns(close)
            if m.result is None:
                continue
            if m.result == "void":
                self.result_kind[j] = K_VOID
            else:
                payout = m.payout()
                assert payout is not None
                if payout < 0 or payout > 1 or payout * PRICE_SCALE % 1 != 0:
                    raise QuoteDataError(
                        f"{m.ticker}: settlement value {payout} must be in [0, 1] on a $0.0001 tick"
                    )
                self.result_kind[j] = K_PAYOUT
                self.payout_u[j] = int(payout * PRICE_SCALE)
            settle_at = m.settlement_time or m.close_time
            if settle_at is not None:
                self.settle_idx[j] = _first_bar_at_or_after(grid, settle_at)

    def settle_time(self, j: int) -> datetime | None:
        m = self.meta[j]
        return m.settlement_time or m.close_time


_NO_ARRAY: FloatArray = np.empty((0, 0), dtype=np.float64)  # "no separate fill view"
_NS_FIRST = datetime(1678, 1, 1, tzinfo=UTC)
_NS_LAST = datetime(2262, 1, 1, tzinfo=UTC)


def _in_ns_range(ts: datetime) -> datetime:
    """`ts` clamped into pandas' nanosecond range: a close known since -infinity (stored as
    `datetime.min`) is known from the first bar."""
    return min(max(ts, _NS_FIRST), _NS_LAST)


def _first_bar_at_or_after(grid: IntArray, ts: datetime) -> int:
    return int(np.searchsorted(grid, to_ns(ts), side="left"))
