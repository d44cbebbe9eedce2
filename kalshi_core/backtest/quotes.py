"""Quote arrays: the time x market grid every strategy and simulator reads.

A snapshot (or candle) frame becomes numpy arrays on a fixed time grid. The last row observed
at ``observed_at <= t`` is the quote at grid time ``t`` while it is known: for snapshots with
recorded coverage, while ``t`` lies in a span in which the market's tier kept observing it
(change-only storage: no new row means unchanged); otherwise (candles, data without coverage)
while the row is younger than the staleness limit. Unknown (or missing, or inside a stale
interval) it is NaN and nothing fills on it. ``mark`` is the last observed bid without either
limit: it values open positions, it never fills an order.

A trade tape (`quotes_from_trades`) has no book: a print is not a quote. Its arrays come in two
views: the *fill* view (``fill_*``) knows an ask only at bars holding a YES-taker print and a bid
only at bars holding a NO-taker print, at that print's price and size, nothing carried forward;
the *signal* view (``bid``/``ask``/``last``) is the last print, which is what a trader watching
the tape sees. For book data the two views are the same arrays. The rule is written out in
docs/STRATEGIES.md ("Fill rules").

Per-market metadata (result, close and settlement times, fee schedule) is carried alongside
and turned into bar indices here, once, so the simulators only compare integers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any, Final, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator

from kalshi_core.backtest.fees import (
    COUNT_SCALE,
    PRICE_SCALE,
    FeeSchedule,
    fee_coefficient_units,
)
from kalshi_core.backtest.kernels import K_OPEN, K_PAYOUT, K_VOID, NO_INDEX, STALE, UNCAPPED
from kalshi_core.models import AwareDatetime, Event, Market, Series

DataSource = Literal["snapshots", "candles", "trades"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

T = TypeVar("T")
_MEMO_SIZE = 4

SNAPSHOT_COLUMNS = ("market_ticker", "observed_at", "yes_bid", "yes_ask")


class QuoteDataError(ValueError):
    """Input data the engine cannot use as given (bad columns, prices off the tick, ...)."""


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
        self.bid_u = _price_units("bid", self.bid)
        self.ask_u = _price_units("ask", self.ask)
        self.mark_u = _price_units("mark", self.mark)
        self.bid_size_u = _size_units("bid_size", self.bid_size)
        self.ask_size_u = _size_units("ask_size", self.ask_size)
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
        self.fill_bid_u = _price_units("fill_bid", self.fill_bid)
        self.fill_ask_u = _price_units("fill_ask", self.fill_ask)
        self.fill_bid_size_u = _size_units("fill_bid_size", self.fill_bid_size)
        self.fill_ask_size_u = _size_units("fill_ask_size", self.fill_ask_size)

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
                self.close_ns[j] = _ns(m.close_time)
                self.close_idx[j] = _first_bar_at_or_after(grid, m.close_time)
            if m.close_times is None:
                if m.close_time is not None:
                    self.close_known_ns[:, j] = _ns(m.close_time)
            else:
                # Each entry holds from its first bar on until the next one takes over; bars
                # before the first entry know no close.
                for known_from, close in m.close_times:
                    lo = _first_bar_at_or_after(grid, _in_ns_range(known_from))
                    self.close_known_ns[lo:, j] = NO_INDEX if close is None else _ns(close)
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


def _ns(ts: datetime) -> int:
    return int(pd.Timestamp(ts).as_unit("ns").value)


_NO_ARRAY: FloatArray = np.empty((0, 0), dtype=np.float64)  # "no separate fill view"
_NS_FIRST = datetime(1678, 1, 1, tzinfo=UTC)
_NS_LAST = datetime(2262, 1, 1, tzinfo=UTC)


def _in_ns_range(ts: datetime) -> datetime:
    """`ts` clamped into pandas' nanosecond range: a close known since -infinity (stored as
    `datetime.min`) is known from the first bar."""
    return min(max(ts, _NS_FIRST), _NS_LAST)


def _first_bar_at_or_after(grid: IntArray, ts: datetime) -> int:
    return int(np.searchsorted(grid, _ns(ts), side="left"))


# Elements per chunk of the unit conversions: their temporaries stay in cache.
_UNIT_CHUNK: Final = 1 << 18


def _chunks(n: int) -> range:
    return range(0, n, _UNIT_CHUNK)


def _price_units(name: str, arr: FloatArray) -> npt.NDArray[np.int32]:
    """Dollars -> integer price units, STALE where not finite. Checked in two passes over
    chunks (the range first, everywhere, then the tick), so the error does not depend on where
    a bad value lies."""
    flat = np.ascontiguousarray(arr).reshape(-1)
    for a in _chunks(flat.size):
        chunk = flat[a : a + _UNIT_CHUNK]
        outside = (chunk < 0) | (chunk > 1)  # NaN compares False; +-inf are not prices: stale
        if outside.any() and np.isfinite(chunk[outside]).any():
            raise QuoteDataError(f"{name}: prices must be dollars in [0, 1]")
    out = np.empty(flat.size, dtype=np.int32)
    for a in _chunks(flat.size):
        chunk = flat[a : a + _UNIT_CHUNK]
        finite = np.isfinite(chunk)
        scaled = np.where(finite, chunk * PRICE_SCALE, 0.0)
        units = np.rint(scaled)
        if (np.abs(scaled - units) > 1e-6).any():
            raise QuoteDataError(f"{name}: prices must be multiples of $0.0001")
        units[~finite] = STALE
        out[a : a + _UNIT_CHUNK] = units
    return out.reshape(arr.shape)


def _size_units(name: str, arr: FloatArray) -> IntArray:
    """Contracts -> integer count units, STALE where NaN, UNCAPPED where +inf (two passes over
    chunks, as `_price_units`)."""
    flat = np.ascontiguousarray(arr).reshape(-1)
    for a in _chunks(flat.size):
        if (flat[a : a + _UNIT_CHUNK] < 0).any():  # -inf included, NaN not
            raise QuoteDataError(f"{name}: sizes must be >= 0")
    out = np.empty(flat.size, dtype=np.int64)
    for a in _chunks(flat.size):
        chunk = flat[a : a + _UNIT_CHUNK]
        finite = np.isfinite(chunk)
        scaled = np.where(finite, chunk * COUNT_SCALE, 0.0)
        units = np.rint(scaled)
        if (np.abs(scaled - units) > 1e-6).any():
            raise QuoteDataError(f"{name}: sizes must be multiples of 0.01 contracts")
        units[~finite] = STALE
        units[np.isposinf(chunk)] = UNCAPPED
        out[a : a + _UNIT_CHUNK] = units
    return out.reshape(arr.shape)


def make_grid(start: datetime, end: datetime, freq: str | pd.Timedelta) -> pd.DatetimeIndex:
    """Grid times ``start <= t < end`` on multiples of `freq` (UTC)."""
    for ts in (start, end):
        if ts.tzinfo is None:
            raise QuoteDataError("start and end must be timezone-aware")
    step = pd.Timedelta(freq)
    if step <= pd.Timedelta(0):
        raise QuoteDataError("freq must be positive")
    first = pd.Timestamp(start).tz_convert("UTC").ceil(step)
    grid = pd.date_range(first, pd.Timestamp(end).tz_convert("UTC"), freq=step, inclusive="left")
    if len(grid) == 0:
        raise QuoteDataError(f"no grid times in [{start}, {end}) at {step}")
    return grid.as_unit("ns")


def quotes_from_frame(
    frame: pd.DataFrame,
    meta: Sequence[MarketMeta],
    *,
    start: datetime,
    end: datetime,
    freq: str | pd.Timedelta = "1min",
    staleness: str | pd.Timedelta = "5min",
    data_source: DataSource = "snapshots",
    uncapped_sizes: bool = False,
    stale_intervals: Sequence[tuple[datetime, datetime]] = (),
    known: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
    max_wait_bars: int = 0,
) -> QuoteArrays:
    """Grid a snapshot-shaped frame (see `SNAPSHOT_COLUMNS`; sizes and last_price optional).

    Markets are the `meta` tickers, in that order; frame rows of other tickers are ignored.
    Missing size columns (or `uncapped_sizes`) mean the top of book is unknown and fills are not
    capped by it: the result records ``sizes_capped=False``. `stale_intervals` (e.g. ingestion
    coverage gaps) blank every market's quote inside ``[gap_start, gap_end]``.

    Freshness: for a market in `known` (its coverage spans, `[since, until)`), the last row at or
    before t is the quote at t exactly when t lies in a span: storage is change-only, so while
    the tier kept observing the market, no new row means "unchanged", however long ago the row
    was written. A market without recorded coverage (candles, data written without polls) falls
    back to the `staleness` limit on the row's age. `max_wait_bars`: see `QuoteArrays`.
    """
    missing = [c for c in SNAPSHOT_COLUMNS if c not in frame.columns]
    if missing:
        raise QuoteDataError(f"quote frame lacks columns {missing}")
    grid = make_grid(start, end, freq)
    stale_limit = pd.Timedelta(staleness)
    if stale_limit < pd.Timedelta(0):
        raise QuoteDataError("staleness must be >= 0")
    has_sizes = {"yes_bid_size", "yes_ask_size"} <= set(frame.columns)
    capped = has_sizes and not uncapped_sizes
    tickers = tuple(m.ticker for m in meta)
    if len(set(tickers)) != len(tickers):
        raise QuoteDataError("duplicate tickers in meta")
    grid_ns = np.asarray(grid.asi8, dtype=np.int64)
    spans = _Spans.of(known, tickers, grid_ns)
    out, mark = _grid_rows(
        frame, _market_rows(frame, tickers), grid_ns, len(tickers), stale_limit, capped, spans
    )
    for gap_start, gap_end in stale_intervals:
        lo = np.searchsorted(grid_ns, _ns(gap_start), side="left")
        hi = np.searchsorted(grid_ns, _ns(gap_end), side="right")
        for arr in out.values():
            arr[lo:hi, :] = np.nan
    return QuoteArrays(
        index=grid,
        tickers=tickers,
        bid=out["bid"],
        ask=out["ask"],
        bid_size=out["bid_size"],
        ask_size=out["ask_size"],
        last=out["last"],
        mark=mark,
        meta=tuple(meta),
        data_source=data_source,
        staleness=stale_limit,
        sizes_capped=capped,
        max_wait_bars=max_wait_bars,
    )


# Grid cells per block of bars: the gridding's temporaries stay a few MB, whatever the grid.
_BLOCK_CELLS: Final = 1 << 20
_SOURCES: Final = {
    "bid": "yes_bid",
    "ask": "yes_ask",
    "bid_size": "yes_bid_size",
    "ask_size": "yes_ask_size",
    "last": "last_price",
}


@dataclass(frozen=True, slots=True)
class _Rows:
    """A frame's rows of the universe, by (market column, time), one per (market, time) (the
    last of repeated ones, as ``drop_duplicates(keep="last")``): `pos` their frame positions,
    `j` their market columns, `ns` their times."""

    pos: IntArray
    j: IntArray
    ns: IntArray


def _market_rows(frame: pd.DataFrame, tickers: Sequence[str]) -> _Rows:
    observed = pd.to_datetime(frame["observed_at"], utc=True)
    ns = observed.dt.as_unit("ns").astype("int64").to_numpy(dtype=np.int64)
    # Rows of tickers outside the universe (or without one) are ignored.
    codes, uniques = pd.factorize(frame["market_ticker"])
    col_of = {t: j for j, t in enumerate(tickers)}
    column = np.array([col_of.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    j_all = column[codes]  # code -1 (no ticker) takes the trailing -1
    pos = np.flatnonzero(j_all >= 0)
    j, ns = j_all[pos], ns[pos]
    if len(ns) > 1 and bool((ns[1:] >= ns[:-1]).all()):
        # Already in time order (storage reads are): a stable sort by market alone suffices,
        # a radix sort when the market column fits 16 bits.
        key = j.astype(np.int16) if len(tickers) <= np.iinfo(np.int16).max else j
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((ns, j))
    pos, j, ns = pos[order], j[order], ns[order]
    last = np.ones(len(ns), dtype=np.bool_)
    last[:-1] = (j[1:] != j[:-1]) | (ns[1:] != ns[:-1])
    return _Rows(
        pos=pos[last].astype(np.int64, copy=False),
        j=j[last].astype(np.int64, copy=False),
        ns=ns[last].astype(np.int64, copy=False),
    )


@dataclass(frozen=True, slots=True)
class _Spans:
    """Coverage spans as +1/-1 steps on the grid (bar, market column, step), sorted by bar:
    their running sum over the bars is 1 exactly where `_inside` holds. `has[j]`: market j
    has recorded coverage (else its freshness is the staleness limit)."""

    has: BoolArray
    bar: IntArray
    j: IntArray
    step: IntArray

    @classmethod
    def of(
        cls,
        known: Mapping[str, Sequence[tuple[datetime, datetime]]] | None,
        tickers: Sequence[str],
        grid_ns: IntArray,
    ) -> _Spans:
        has = np.zeros(len(tickers), dtype=np.bool_)
        owner: list[int] = []
        since: list[datetime] = []
        until: list[datetime] = []
        for j, ticker in enumerate(tickers):
            spans = None if known is None else known.get(ticker)
            if spans is None:
                continue
            has[j] = True
            owner += [j] * len(spans)
            since += [a for a, _ in spans]
            until += [b for _, b in spans]
        n_bars = len(grid_ns)
        sj = np.array(owner, dtype=np.int64)
        since_ns = _ns_array(since)
        lo = np.searchsorted(grid_ns, since_ns, side="left")
        hi = np.searchsorted(grid_ns, _ns_array(until), side="left")
        same = sj[1:] == sj[:-1]
        unsorted = same & (since_ns[1:] < since_ns[:-1])
        if unsorted.any():
            bad = sorted({tickers[int(x)] for x in sj[1:][unsorted]})
            raise QuoteDataError(f"coverage spans must be in start order: {', '.join(bad)}")
        # A span governs from its start until the next span of its market starts (the last
        # span starting at or before t decides, as `_inside` reads them); inside while t < until.
        next_lo = np.full(len(lo), n_bars, dtype=np.int64)
        next_lo[:-1][same] = lo[1:][same]
        stop = np.minimum(hi, next_lo)
        live = stop > lo
        bar = np.concatenate([lo[live], stop[live]])
        col = np.concatenate([sj[live], sj[live]])
        count = int(live.sum())
        step = np.concatenate([np.ones(count, np.int64), np.full(count, -1, np.int64)])
        order = np.argsort(bar, kind="stable")
        return cls(has=has, bar=bar[order], j=col[order], step=step[order])


def _ns_array(values: Sequence[datetime]) -> IntArray:
    """`_ns` of every value (tz-aware or naive-as-UTC, like `pd.Timestamp(ts).value`)."""
    return np.fromiter((_ns(v) for v in values), dtype=np.int64, count=len(values))


def _grid_rows(
    frame: pd.DataFrame,
    rows: _Rows,
    grid_ns: IntArray,
    n: int,
    stale_limit: pd.Timedelta,
    capped: bool,
    spans: _Spans,
) -> tuple[dict[str, FloatArray], FloatArray]:
    """The `_SOURCES` arrays and the mark of `rows` on the grid: every market at once, one
    block of bars at a time, each cell written once (no full-grid temporaries).

    A row at time ns is in force from bar ``searchsorted(grid, ns, "left")`` on; the last row of
    each (market, bar) is scattered there and forward-filled down the bars by a running max
    (row indices grow with time within a market). Every field is then one `np.take` from the
    rows' values behind a leading NaN, which pick 0 (no quote, or not fresh) reads."""
    n_bars = len(grid_ns)
    shape = (n_bars, n)
    if len(rows.ns) == 0:
        return {key: np.full(shape, np.nan) for key in _SOURCES}, np.full(shape, np.nan)
    out = {key: np.empty(shape) for key in _SOURCES}
    mark = np.empty(shape)
    bar = np.searchsorted(grid_ns, rows.ns, side="left")
    top = np.ones(len(bar), dtype=np.bool_)
    top[:-1] = (rows.j[1:] != rows.j[:-1]) | (bar[1:] != bar[:-1])
    top &= bar < n_bars
    ev_row = np.flatnonzero(top)
    by_bar = np.argsort(bar[ev_row], kind="stable")
    ev_row = ev_row[by_bar]
    ev_bar, ev_j = bar[ev_row], rows.j[ev_row]
    ev_pick = ev_row + 1  # picks are row + 1: 0 is "no row yet", reading the leading NaN

    def column(name: str) -> FloatArray:
        return cast(FloatArray, frame[name].take(rows.pos).to_numpy(dtype=np.float64))

    values: dict[str, FloatArray] = {}
    for key, col in _SOURCES.items():
        if key in ("bid_size", "ask_size"):
            if capped:
                # A snapshot without a size shows no depth: nothing can fill against it.
                values[key] = _after_none(np.nan_to_num(column(col), nan=0.0), np.nan)
        elif col in frame.columns:
            values[key] = _after_none(column(col), np.nan)
        else:
            out[key].fill(np.nan)  # e.g. no last_price column
    bids = values["bid"]
    stale_bar: IntArray | None = None
    if not spans.has.all():
        # Fresh while grid - ns <= limit: through the bars up to ns + limit (saturated).
        limit = np.minimum(np.iinfo(np.int64).max - rows.ns, stale_limit.value)
        stale_bar = _after_none(np.searchsorted(grid_ns, rows.ns + limit, side="right"), 0)

    step = max(1, _BLOCK_CELLS // max(n, 1))
    carry = np.zeros(n, dtype=np.intp)
    covered = np.zeros(n, dtype=np.int64)
    for b0 in range(0, n_bars, step):
        b1 = min(n_bars, b0 + step)
        pick = np.zeros((b1 - b0, n), dtype=np.intp)
        lo, hi = np.searchsorted(ev_bar, (b0, b1), side="left")
        pick[ev_bar[lo:hi] - b0, ev_j[lo:hi]] = ev_pick[lo:hi]
        np.maximum.accumulate(pick, axis=0, out=pick)
        np.maximum(pick, carry, out=pick)
        carry = pick[-1].copy()
        # mode="clip": every index is in range, and only that mode writes `out` unbuffered
        np.take(bids, pick, out=mark[b0:b1], mode="clip")
        fresh = _fresh_block(pick, b0, stale_bar, spans, covered)
        take = np.where(fresh, pick, 0)
        for key, vals in values.items():
            np.take(vals, take, out=out[key][b0:b1], mode="clip")
        if not capped:
            for key in ("bid_size", "ask_size"):
                out[key][b0:b1] = np.where(fresh, np.inf, np.nan)
    return out, mark


def _after_none(values: npt.NDArray[Any], none: float) -> npt.NDArray[Any]:
    """`values` behind one leading `none`: what pick 0 (no row) reads."""
    return np.concatenate((np.array([none], dtype=values.dtype), values))


def _fresh_block(
    pick: npt.NDArray[np.integer[Any]],
    b0: int,
    stale_bar: IntArray | None,
    spans: _Spans,
    covered: IntArray,
) -> BoolArray:
    """Which cells of a block of bars (starting at bar `b0`) hold a known quote; `covered`
    carries each market's running span count from block to block."""
    bars = np.arange(b0, b0 + len(pick), dtype=np.int64)[:, None]
    aged: BoolArray | None = None
    if stale_bar is not None:
        aged = np.take(stale_bar, pick, mode="clip") > bars  # no row reads 0: never fresh
    if not spans.has.any():
        assert aged is not None
        return aged
    steps = np.zeros(pick.shape, dtype=np.int64)
    lo, hi = np.searchsorted(spans.bar, (b0, b0 + len(pick)), side="left")
    np.add.at(steps, (spans.bar[lo:hi] - b0, spans.j[lo:hi]), spans.step[lo:hi])
    np.cumsum(steps, axis=0, out=steps)
    steps += covered
    covered[:] = steps[-1]
    inside = (steps > 0) & (pick > 0)
    return inside if aged is None else np.where(spans.has, inside, aged)


CANDLE_TIME_COLUMNS = ("end_time", "end_period_ts", "period_end", "observed_at")


TRADE_PRICE_CANDLES = (
    "candle frame without yes_bid_close/yes_ask_close on every row: candles of trade prices "
    "say nothing about the bid or ask (a print is not a quote, and a candle does not say which "
    "side each print hit), so they cannot fill orders. Load the trade tape instead "
    "(load_quotes(source='trades') / quotes_from_trades): orders then fill only at real prints, "
    "buys at YES-taker prints and sells at NO-taker prints (docs/STRATEGIES.md, 'Fill rules')"
)


def candle_frame_to_snapshot_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Map a candle frame (bid/ask closes per period, stamped by the period's end) onto the
    snapshot shape: the close of a period is the quote known at its end time.

    Every candle must carry both closes. Candles of trade prices only (Kalshi's ``price_*``
    OHLC, or a bare open/high/low/close of prints) are refused, pointing to the trade tape."""
    ticker_col = "market_ticker" if "market_ticker" in frame.columns else "ticker"
    closes = ["yes_bid_close", "yes_ask_close"]
    if not set(closes) <= set(frame.columns) or frame[closes].isna().any(axis=None):
        raise QuoteDataError(TRADE_PRICE_CANDLES)
    time_col = next((c for c in CANDLE_TIME_COLUMNS if c in frame.columns), None)
    if time_col is None or ticker_col not in frame.columns:
        raise QuoteDataError(
            "candle frame needs a ticker column, an end-time column "
            f"({', '.join(CANDLE_TIME_COLUMNS)}) and yes_bid_close/yes_ask_close"
        )
    out = pd.DataFrame(
        {
            "market_ticker": frame[ticker_col].astype(str),
            "observed_at": pd.to_datetime(frame[time_col], utc=True),
            "yes_bid": frame["yes_bid_close"].astype(float),
            "yes_ask": frame["yes_ask_close"].astype(float),
        }
    )
    if "price_close" in frame.columns:
        out["last_price"] = frame["price_close"].astype(float)
    return out


TRADE_COLUMNS = ("market_ticker", "created_time", "yes_price", "count", "taker_side")


def quotes_from_trades(
    frame: pd.DataFrame,
    meta: Sequence[MarketMeta],
    *,
    start: datetime,
    end: datetime,
    freq: str | pd.Timedelta = "1min",
    staleness: str | pd.Timedelta = "5min",
    max_wait_bars: int = 0,
) -> QuoteArrays:
    """Grid a public trade tape (see `TRADE_COLUMNS`; ``is_block_trade`` optional) for the
    trade-only fill rule. Prices are YES prices in dollars, counts contracts.

    Bar t holds the prints with ``t - step < created_time <= t`` (what is known at grid time
    t, as for quotes). Block trades are negotiated off the book and are dropped; a print
    without a taker side shows no side of the book and never fills.

    Fill view, nothing carried forward from one bar to the next:

    - ``fill_ask`` at t: the bar's first YES-taker print (a buyer of YES took the ask, so the
      ask was there). Prints sharing that first timestamp are one sweep whose order within it
      is not recorded, so the highest of their prices is taken (the worst for a buyer), and
      ``fill_ask_size`` is the summed count printed at that price at that timestamp;
    - ``fill_bid`` at t: the same with the bar's first NO-taker print (a seller of YES hit the
      bid): the lowest price at its timestamp, the count printed there;
    - elsewhere NaN: no order fills at a bar without a print on its side.

    Signal view: ``bid`` = ``ask`` = ``last`` = the last print at or before t (the last in
    tape order at equal times) while no older than `staleness`, so ``mid()`` is the last
    traded price. ``mark`` is the last NO-taker print at or before t however old (the lowest
    at its timestamp): positions are valued at the last price someone sold at, never filled
    there. `max_wait_bars` is the order lifetime the simulators honour (`QuoteArrays`).
    """
    missing = [c for c in TRADE_COLUMNS if c not in frame.columns]
    if missing:
        raise QuoteDataError(f"trade frame lacks columns {missing}")
    grid = make_grid(start, end, freq)
    stale_limit = pd.Timedelta(staleness)
    if stale_limit < pd.Timedelta(0):
        raise QuoteDataError("staleness must be >= 0")
    tickers = tuple(m.ticker for m in meta)
    if len(set(tickers)) != len(tickers):
        raise QuoteDataError("duplicate tickers in meta")
    shape = (len(grid), len(tickers))
    fill = {k: np.full(shape, np.nan) for k in ("bid", "ask", "bid_size", "ask_size")}
    last = np.full(shape, np.nan)
    mark = np.full(shape, np.nan)
    grid_ns = np.asarray(grid.asi8, dtype=np.int64)
    first_open = grid_ns[0] - pd.Timedelta(freq).value  # bar 0 holds prints after this
    df = pd.DataFrame(
        {
            "market_ticker": frame["market_ticker"].astype(str),
            "ns": pd.to_datetime(frame["created_time"], utc=True).dt.as_unit("ns").astype("int64"),
            "price": frame["yes_price"].astype(np.float64),
            "count": frame["count"].astype(np.float64),
            "side": frame["taker_side"].where(frame["taker_side"].notna(), None),
        }
    )
    if "is_block_trade" in frame.columns:
        df = df[~frame["is_block_trade"].fillna(False).astype(bool).to_numpy()]
    df = df.sort_values(["market_ticker", "ns"], kind="stable")
    col_of = {t: j for j, t in enumerate(tickers)}
    for ticker, rows in df.groupby("market_ticker", sort=False):
        j = col_of.get(str(ticker))
        if j is None:
            continue
        times = rows["ns"].to_numpy(dtype=np.int64)
        prices = rows["price"].to_numpy(dtype=np.float64)
        pick = np.searchsorted(times, grid_ns, side="right") - 1
        seen = pick >= 0
        safe = np.where(seen, pick, 0)
        fresh = seen & (grid_ns - times[safe] <= stale_limit.value)
        last[:, j] = np.where(fresh, prices[safe], np.nan)
        sold = rows[rows["side"] == "no"].groupby("ns")["price"].min()
        if len(sold):
            sold_ns = sold.index.to_numpy(dtype=np.int64)
            k = np.searchsorted(sold_ns, grid_ns, side="right") - 1
            mark[:, j] = np.where(k >= 0, sold.to_numpy()[np.maximum(k, 0)], np.nan)
        bars = np.searchsorted(grid_ns, times, side="left")
        in_grid = rows.assign(bar=bars)[(bars < len(grid_ns)) & (times > first_open)]
        for side, book, worst in (("yes", "ask", "max"), ("no", "bid", "min")):
            prints = in_grid[in_grid["side"] == side]
            if prints.empty:
                continue
            prints = prints[prints["ns"] == prints.groupby("bar")["ns"].transform("min")]
            prints = prints[prints["price"] == prints.groupby("bar")["price"].transform(worst)]
            best = prints.groupby("bar").agg(price=("price", "first"), size=("count", "sum"))
            at_bar = best.index.to_numpy(dtype=np.int64)
            fill[book][at_bar, j] = best["price"].to_numpy()
            fill[f"{book}_size"][at_bar, j] = best["size"].to_numpy()
    return QuoteArrays(
        index=grid,
        tickers=tickers,
        bid=last.copy(),
        ask=last.copy(),
        bid_size=np.full(shape, np.nan),  # a tape shows no resting depth
        ask_size=np.full(shape, np.nan),
        last=last,
        mark=mark,
        meta=tuple(meta),
        data_source="trades",
        staleness=stale_limit,
        sizes_capped=True,
        fill_bid=fill["bid"],
        fill_ask=fill["ask"],
        fill_bid_size=fill["bid_size"],
        fill_ask_size=fill["ask_size"],
        max_wait_bars=max_wait_bars,
    )
