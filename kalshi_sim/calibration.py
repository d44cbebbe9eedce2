"""How markets move, measured the same way on Kalshi's recordings and on the simulator.

The measures (issue 12.5; the report is `bench/sim_dynamics.py`, the table docs/SIMULATOR.md):
- trade activity: the share of 5/15/60-second intervals holding at least one print, over each
  market's *active life* (from its first print to its last: a tape says nothing about the hours
  before a market's first trade), and how many prints an active interval holds;
- print sizes (contracts per print), the share of prints sharing their instant with another
  print of the market (one taker order filling several makers), and the activity skew (the
  share of prints made by the busiest 10% of markets);
- from minute candles: the share of traded minutes over the active life, contracts per traded
  minute;
- from top-of-book snapshots: the share of consecutive snapshots between which the bid or the ask
  moved, spreads in cents, resting sizes and book value when the snapshots carry them.

The measures are pure functions of `Tape`, `MinuteBars` and `QuoteSeries`; the readers of the
recorded layouts (docs/REALDATA.md) and the samplers of the simulator come last. Quantiles are
nearest-rank (the smallest value with at least that share of values at or below it), so every
figure is a value that occurred.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from kalshi_sim.model import SyntheticModel

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
SKEW_TOP = 0.1
CENT = Decimal(100)
"""Prices are integers in $0.0001: 100 of them make a cent."""


V = TypeVar("V", int, float, Decimal)


@dataclass(frozen=True)
class Tape:
    """One market's prints: times in seconds (ascending), contracts per print."""

    ticker: str
    times: F64
    counts: I64

    def __post_init__(self) -> None:
        if len(self.times) != len(self.counts):
            raise ValueError(f"{self.ticker}: {len(self.times)} times, {len(self.counts)} counts")
        if len(self.times) > 1 and bool(np.any(np.diff(self.times) < 0)):
            raise ValueError(f"{self.ticker}: times are not ascending")


@dataclass(frozen=True)
class MinuteBars:
    """One market's traded minutes (start, unix seconds, ascending) and contracts traded."""

    ticker: str
    minutes: I64
    volumes: I64


@dataclass(frozen=True)
class QuoteSeries:
    """One market's top of book at consecutive snapshots. bid/ask in $0.0001 (0 = no bid,
    10000 = no ask); sizes, lifetime volume and book value (dollars resting, Kalshi's old
    `liquidity`) when the source has them."""

    ticker: str
    times: F64
    bid: I64
    ask: I64
    bid_size: I64 | None = None
    ask_size: I64 | None = None
    book_value: tuple[Decimal, ...] | None = None
    volume: I64 | None = None


@dataclass(frozen=True)
class IntervalActivity:
    """Intervals of `width_s` seconds over the markets' active lives and how many held prints."""

    width_s: int
    markets: int
    intervals: int
    active: int
    per_active: tuple[int, ...]
    """Prints per active interval at QUANTILES."""
    mean_per_active: float

    @property
    def share(self) -> float:
        return self.active / self.intervals if self.intervals else 0.0


@dataclass(frozen=True)
class QuoteChanges:
    """Consecutive snapshot pairs, and those between which the bid or the ask price moved."""

    pairs: int
    changed: int

    @property
    def share(self) -> float:
        return self.changed / self.pairs if self.pairs else 0.0


# -- pure measures ------------------------------------------------------------------------------


def quantiles(values: Sequence[V], qs: Sequence[float] = QUANTILES) -> tuple[V, ...]:
    """Nearest-rank quantiles: for each q, the smallest value v with share >= q of values <= v."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    n = len(ordered)
    return tuple(ordered[min(max(math.ceil(q * n) - 1, 0), n - 1)] for q in qs)


def interval_activity(
    tapes: Iterable[Tape], width_s: int, qs: Sequence[float] = (0.5, 0.9, 0.99)
) -> IntervalActivity:
    """Share of `width_s` intervals holding >= 1 print, over each market's active life.

    A market's intervals start at its first print: [first, first + w), [first + w, ...), up to
    the one holding its last print. Markets without prints are skipped (they have no life)."""
    markets = intervals = 0
    per: list[int] = []
    for tape in tapes:
        if not len(tape.times):
            continue
        offsets = np.floor((tape.times - tape.times[0]) / width_s).astype(np.int64)
        counts = np.bincount(offsets)
        markets += 1
        intervals += len(counts)
        per.extend(int(c) for c in counts[counts > 0])
    if not per:
        return IntervalActivity(width_s, 0, 0, 0, tuple(0 for _ in qs), 0.0)
    return IntervalActivity(
        width_s, markets, intervals, len(per), quantiles(per, qs), sum(per) / len(per)
    )


def print_sizes(tapes: Iterable[Tape], qs: Sequence[float] = QUANTILES) -> tuple[int, ...]:
    """Contracts per print at `qs`, all markets' prints pooled."""
    return quantiles([int(c) for tape in tapes for c in tape.counts], qs)


def mean_print_size(tapes: Iterable[Tape]) -> float:
    sizes = [int(c) for tape in tapes for c in tape.counts]
    return sum(sizes) / len(sizes) if sizes else 0.0


def shared_instant_share(tapes: Iterable[Tape]) -> float:
    """Share of prints whose time equals another print's of the same market."""
    shared = total = 0
    for tape in tapes:
        _values, counts = np.unique(tape.times, return_counts=True)
        shared += int(counts[counts > 1].sum())
        total += len(tape.times)
    return shared / total if total else 0.0


def activity_skew(totals: Sequence[int], top: float = SKEW_TOP) -> float:
    """Share of the sum held by the busiest ceil(top x n) markets (prints or contracts)."""
    if not totals or sum(totals) == 0:
        return 0.0
    ordered = sorted(totals, reverse=True)
    k = math.ceil(top * len(ordered))
    return sum(ordered[:k]) / sum(ordered)


def untraded_share(volumes: Sequence[int]) -> float:
    """Share of markets that never traded (volume 0 over their life)."""
    return sum(1 for v in volumes if v == 0) / len(volumes) if volumes else 0.0


def traded_minute_share(bars: Iterable[MinuteBars]) -> IntervalActivity:
    """Minutes holding a trade over each market's active life (first to last traded minute);
    `per_active` is contracts per traded minute at QUANTILES."""
    markets = minutes = 0
    volumes: list[int] = []
    for b in bars:
        if not len(b.minutes):
            continue
        markets += 1
        minutes += int((b.minutes[-1] - b.minutes[0]) // 60) + 1
        volumes.extend(int(v) for v in b.volumes)
    if not volumes:
        return IntervalActivity(60, 0, 0, 0, tuple(0 for _ in QUANTILES), 0.0)
    return IntervalActivity(
        60, markets, minutes, len(volumes), quantiles(volumes), sum(volumes) / len(volumes)
    )


def minute_bars(tape: Tape) -> MinuteBars:
    """A tape's traded minutes (UTC minute starts) and contracts: what a 1-minute candle of
    trades holds."""
    minutes = (np.floor(tape.times / 60.0) * 60).astype(np.int64)
    starts, index = np.unique(minutes, return_inverse=True)
    volumes = np.bincount(index, weights=tape.counts).astype(np.int64)
    return MinuteBars(tape.ticker, starts, volumes)


def quote_changes(series: Iterable[QuoteSeries]) -> QuoteChanges:
    """Consecutive snapshots between which the bid or the ask price moved (sizes ignored: the
    recorded sample has none)."""
    pairs = changed = 0
    for s in series:
        if len(s.bid) < 2:
            continue
        moved = (s.bid[1:] != s.bid[:-1]) | (s.ask[1:] != s.ask[:-1])
        pairs += len(moved)
        changed += int(moved.sum())
    return QuoteChanges(pairs, changed)


def volume_changes(series: Iterable[QuoteSeries]) -> QuoteChanges:
    """Consecutive snapshots between which the market's volume grew: intervals holding a
    trade, as far as snapshots can tell."""
    pairs = changed = 0
    for s in series:
        if s.volume is None or len(s.volume) < 2:
            continue
        pairs += len(s.volume) - 1
        changed += int((s.volume[1:] != s.volume[:-1]).sum())
    return QuoteChanges(pairs, changed)


def spreads_cents(series: Iterable[QuoteSeries]) -> list[Decimal]:
    """Ask minus bid in cents at every snapshot quoted on both sides."""
    out: list[Decimal] = []
    for s in series:
        for b, a in zip(s.bid.tolist(), s.ask.tolist(), strict=True):
            if b > 0 and a < 10000:
                out.append(Decimal(a - b) / CENT)
    return out


def spread_shares(spreads: Sequence[Decimal], upto: int = 5) -> dict[str, float]:
    """Share of snapshots whose spread rounds up to 1, 2, ... `upto` whole cents, and wider
    (a deci-cent spread counts with the cent above it)."""
    if not spreads:
        return {}
    buckets = Counter(min(max(math.ceil(s), 1), upto + 1) for s in spreads)
    n = len(spreads)
    out = {f"{c}c": buckets.get(c, 0) / n for c in range(1, upto + 1)}
    out[f">{upto}c"] = buckets.get(upto + 1, 0) / n
    return out


def top_sizes(series: Iterable[QuoteSeries]) -> list[int]:
    """Resting contracts at the best bid and the best ask (quoted sides only)."""
    out: list[int] = []
    for s in series:
        if s.bid_size is None or s.ask_size is None:
            continue
        out.extend(int(x) for x, p in zip(s.bid_size, s.bid, strict=True) if p > 0)
        out.extend(int(x) for x, p in zip(s.ask_size, s.ask, strict=True) if p < 10000)
    return out


def book_values(series: Iterable[QuoteSeries]) -> list[Decimal]:
    """Dollars resting in each snapshot's book, where known."""
    return [v for s in series if s.book_value is not None for v in s.book_value]


# -- readers of the recorded layouts (docs/REALDATA.md) -----------------------------------------


def _rows(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as f:
        yield from csv.DictReader(f)


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def read_tapes(path: Path) -> list[Tape]:
    """Trade tapes of `multi_trades` or `econ_trades` (ticker, created_time, count), by ticker."""
    by: dict[str, list[tuple[float, int]]] = {}
    for row in _rows(path):
        by.setdefault(row["ticker"], []).append((_epoch(row["created_time"]), int(row["count"])))
    out = []
    for ticker in sorted(by):
        prints = sorted(by[ticker])
        out.append(
            Tape(
                ticker,
                np.asarray([t for t, _c in prints], np.float64),
                np.asarray([c for _t, c in prints], np.int64),
            )
        )
    return out


def read_market_volumes(path: Path) -> dict[str, int]:
    """Lifetime volume per market of `multi_closed_markets` (including the untraded)."""
    return {row["ticker"]: int(row["volume"]) for row in _rows(path)}


def read_minute_bars(path: Path) -> list[MinuteBars]:
    """`nba_candles_1m`: traded minutes (timestamp) and contracts (volume) per ticker."""
    by: dict[str, list[tuple[int, int]]] = {}
    for row in _rows(path):
        by.setdefault(row["ticker"], []).append((int(row["timestamp"]), int(row["volume"])))
    out = []
    for ticker in sorted(by):
        bars = sorted(by[ticker])
        out.append(
            MinuteBars(
                ticker,
                np.asarray([m for m, _v in bars], np.int64),
                np.asarray([v for _m, v in bars], np.int64),
            )
        )
    return out


def read_quote_snapshots(path: Path) -> list[QuoteSeries]:
    """Top-of-book snapshots in cents (timestamp, ticker, yes_bid, yes_ask, volume[,
    liquidity]) as in `market_snapshots_KXHIGHNY_2025-11-24_1min_cents.csv`; `liquidity`
    (cents) is the book value. The file has no resting sizes."""
    by: dict[str, list[tuple[float, int, int, int, Decimal | None]]] = {}
    for row in _rows(path):
        liq = row.get("liquidity")
        value = Decimal(liq) / CENT if liq not in (None, "") else None
        bid, ask = int(row["yes_bid"]) * 100, int(row["yes_ask"]) * 100
        by.setdefault(row["ticker"], []).append(
            (_epoch(row["timestamp"]), bid, ask, int(row["volume"]), value)
        )
    out = []
    for ticker in sorted(by):
        snaps = sorted(by[ticker], key=lambda s: s[0])
        values = [s[4] for s in snaps]
        out.append(
            QuoteSeries(
                ticker,
                np.asarray([s[0] for s in snaps], np.float64),
                # Kalshi's cents files write an empty ask side as 100 and an empty bid as 0.
                np.asarray([s[1] for s in snaps], np.int64),
                np.asarray([s[2] for s in snaps], np.int64),
                volume=np.asarray([s[3] for s in snaps], np.int64),
                book_value=None
                if any(v is None for v in values)
                else tuple(v for v in values if v is not None),
            )
        )
    return out


# -- the simulator, sampled like the recordings ---------------------------------------------------


def simulated_tapes(model: SyntheticModel, markets: Iterable[int]) -> list[Tape]:
    """Each market's prints over its whole listed life (open to close)."""
    u = model.u
    out = []
    for m in markets:
        tr = model.trades(int(m), float(u.m_open[m]), float(u.m_close[m]), cap=5_000_000)
        out.append(Tape(u.m_ticker[m], tr.times.astype(np.float64), tr.counts.astype(np.int64)))
    return out


def simulated_volumes(model: SyntheticModel, markets: Iterable[int]) -> list[int]:
    """Each market's volume at its close."""
    return [model.volume_last(int(m), float(model.u.m_close[m]))[0] for m in markets]


def simulated_quotes(
    model: SyntheticModel, markets: Iterable[int], start: float, snapshots: int, every_s: float
) -> list[QuoteSeries]:
    """Top of book (with sizes and the served book's dollar value) of each market at `snapshots`
    times `every_s` apart from `start`, as a poller of /markets and /orderbook would see it."""
    from kalshi_sim.market_paths import market_rows

    times = start + every_s * np.arange(snapshots, dtype=np.float64)
    ms = [int(m) for m in markets]
    rows = [model.rows(np.asarray(ms, np.int64), float(t)) for t in times]
    out = []
    for i, m in enumerate(ms):
        values = []
        for t in times:
            yes, no = model.book_levels(m, float(t), 0)
            cents = sum(p * s for p, s in yes) + sum(p * s for p, s in no)
            values.append(Decimal(cents) / Decimal(10000))
        out.append(
            QuoteSeries(
                model.u.m_ticker[m],
                times,
                np.asarray([r[i, market_rows.C_BID] for r in rows], np.int64),
                np.asarray([r[i, market_rows.C_ASK] for r in rows], np.int64),
                np.asarray([r[i, market_rows.C_BSZ] for r in rows], np.int64),
                np.asarray([r[i, market_rows.C_ASZ] for r in rows], np.int64),
                tuple(values),
                np.asarray([r[i, market_rows.C_VOL] for r in rows], np.int64),
            )
        )
    return out


def poll_changes(
    model: SyntheticModel, markets: I64, start: float, polls: int, every_s: float
) -> float:
    """Share of (open market, poll) pairs whose served quote, sizes, last price or volume
    differ from the previous poll: the rows a change-only catalogue writer stores per tick."""
    from kalshi_sim.market_paths import market_rows

    cols = [
        market_rows.C_BID,
        market_rows.C_ASK,
        market_rows.C_BSZ,
        market_rows.C_ASZ,
        market_rows.C_LAST,
        market_rows.C_VOL,
    ]
    prev = model.rows(markets, start)
    pairs = changed = 0
    for i in range(1, polls):
        cur = model.rows(markets, start + i * every_s)
        open_ = (prev[:, market_rows.C_STATUS] == market_rows.ST_ACTIVE) & (
            cur[:, market_rows.C_STATUS] == market_rows.ST_ACTIVE
        )
        diff = (prev[:, cols] != cur[:, cols]).any(axis=1) & open_
        pairs += int(open_.sum())
        changed += int(diff.sum())
        prev = cur
    return changed / pairs if pairs else 0.0


KINDS = (
    "crypto_threshold", "crypto_range", "game", "spread", "total", "economics", "weather", "other",
)  # fmt: skip
_COINS = ("BTC", "ETH", "XRP", "DOGE", "SHIBA", "SOL", "BNB")
_ECONOMICS = ("CPI", "ACPI", "PAYROLLS", "PROLLS", "U3", "GDP", "RECSS", "FED", "GAS")


def real_kind(ticker: str) -> str:
    """The kind of a recorded market, from its series ticker (the simulator's templates)."""
    series = ticker.split("-")[0]
    core = series.removeprefix("KX")
    if core.endswith(("GAME", "MATCH", "MAP")):
        return "game"
    if core.endswith("SPREAD"):
        return "spread"
    if core.endswith("TOTAL"):
        return "total"
    if core.startswith(("HIGH", "LOWT")):
        return "weather"
    if core.startswith(_ECONOMICS):
        return "economics"
    for coin in _COINS:
        if core.startswith(coin):
            return "crypto_threshold" if core.endswith("D") else "crypto_range"
    return "other"


def template_kind(category: str, kind: str, prefix: str) -> str:
    """The kind of a simulator template (see real_kind)."""
    if category == "Crypto":
        return "crypto_threshold" if prefix.endswith("D") else "crypto_range"
    if kind == "game2":
        return "game"
    if prefix.endswith("SPREAD"):
        return "spread"
    if prefix.endswith("TOTAL"):
        return "total"
    if category == "Economics":
        return "economics"
    if category == "Climate and Weather":
        return "weather"
    return "other"


def kind_counts(tickers: Iterable[str]) -> Counter[str]:
    return Counter(real_kind(t) for t in tickers)


def matched_markets(
    model: SyntheticModel,
    counts: Counter[str],
    seed: int = 0,
    *,
    traded: bool = True,
    series_prefix: str = "",
) -> list[int]:
    """Simulated markets of the kinds a recorded data set holds, as many of each kind (seeded
    sample; fewer when the universe has fewer), only markets that trade at least once in their
    life when `traded` (as every recorded tape does), only series starting with
    `series_prefix` when given (KXNBA: the simulator's basketball leagues)."""
    from kalshi_sim.catalogue import TEMPLATES

    u = model.u
    kinds = [template_kind(t.category, t.kind, t.prefix) for t in TEMPLATES]
    tpl = u.s_template[u.m_series]
    picked: list[int] = []
    for kind, n in sorted(counts.items()):
        wanted = {i for i, k in enumerate(kinds) if k == kind}
        pool = [
            m
            for m in range(u.n_markets)
            if int(tpl[m]) in wanted
            and not u.m_is_mve[m]
            and u.s_ticker[int(u.m_series[m])].startswith(series_prefix)
        ]
        rng = np.random.default_rng([seed, len(pool), KINDS.index(kind)])
        got = 0
        for m in rng.permutation(pool).tolist():
            if got >= n:
                break
            if traded and model.volume_last(int(m), float(u.m_close[m]))[0] == 0:
                continue
            picked.append(int(m))
            got += 1
    return sorted(picked)


def weather_quotes(
    model: SyntheticModel, after: float, snapshots: int, series: str = "KXHIGHNY"
) -> list[QuoteSeries]:
    """The simulated counterpart of the recorded KXHIGHNY quote sample (12 markets of a
    day-of and a next-day event, one snapshot a minute): the markets of the series' first two
    events closing after `after`, sampled for `snapshots` minutes ending 5 minutes before the
    first one's close (both events open)."""
    u = model.u
    s = u.series_index[series]
    events = sorted(
        (int(e) for e in u.series_events[s].tolist() if u.e_close[e] > after),
        key=lambda e: int(u.e_close[e]),
    )[:2]
    start = float(u.e_close[events[0]]) - 300.0 - 60.0 * (snapshots - 1)
    markets = [m for e in events for m in range(int(u.e_first[e]), int(u.e_last[e]))]
    return simulated_quotes(model, markets, start, snapshots, 60.0)
