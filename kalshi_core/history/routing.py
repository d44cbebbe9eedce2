"""Where each piece of history lives and how to ask for it in few requests.

Routing by Kalshi's historical cutoff (`GET /historical/cutoff`):
- trades: Kalshi's reference says trades filled before `trades_created_ts` are served by
  `/historical/trades`, while the markets that settled before `market_settled_ts` are archived as
  a whole (and the simulator serves a live market's trades of any age from `/markets/trades`).
  Both readings are covered: a window is split at the trades cutoff (before it:
  `/historical/trades`, after it: `/markets/trades`), and for a market that is still live the
  `/markets/trades` query spans the whole window. Overlapping answers are de-duplicated by trade
  id; the extra request only happens for the days before the cutoff of markets still live;
- candlesticks are routed per market at `market_settled_ts`: a market that settled before it is
  served only by `/historical/markets/{ticker}/candlesticks` (one market per request), every
  other by the batch endpoint `/markets/candlesticks` (up to 100 markets and 10,000 candles per
  request).

Everything here is plain arithmetic on unix seconds, so it is tested without a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final

from kalshi_core.kalshi.responses import HistoricalCutoff

BATCH_MAX_TICKERS: Final = 100
BATCH_MAX_CANDLES: Final = 10_000  # Kalshi: "up to 10,000 candlesticks total across all markets"
SINGLE_MAX_CANDLES: Final = 5_000  # per-market candlestick endpoints
CANDLE_PERIODS: Final = (1, 60, 1440)
DAY_S: Final = 86_400
LATE_PRINT_S: Final = 600
"""How long after its close_time a market's trades are still asked for: Kalshi's tapes hold
prints after an early close (KXATPMATCH-25NOV08DJOMUS-DJO printed 49 s after its close_time,
docs/REALDATA.md), and clipping at the close second dropped them."""


class Family(StrEnum):
    """The two endpoint families."""

    LIVE = "live"
    HISTORICAL = "historical"


def day_start(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def days_between(start: date, end: date) -> list[date]:
    """The UTC days ``start <= d < end``."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


@dataclass(frozen=True, slots=True)
class Cutoff:
    """The historical cutoff as unix seconds."""

    markets_ts: int  # market_settled_ts: markets settled before it are historical
    trades_ts: int  # trades_created_ts: trades filled before it are historical

    @classmethod
    def from_wire(cls, c: HistoricalCutoff) -> Cutoff:
        markets = int(c.market_settled_ts.timestamp())
        trades = markets if c.trades_created_ts is None else int(c.trades_created_ts.timestamp())
        return cls(markets, trades)


@dataclass(frozen=True, slots=True)
class TradeSegment:
    """One trades query: the part of a window served by one family, ``lo <= t < hi``."""

    family: Family
    lo: int
    hi: int


def trade_segments(
    start_ts: int,
    end_ts: int,
    open_ts: int | None,
    close_ts: int | None,
    cutoff: Cutoff,
    *,
    live_market: bool = False,
) -> list[TradeSegment]:
    """The trades queries for one market and window ``[start_ts, end_ts)``.

    The window is clipped to the market's trading time (trades print until `LATE_PRINT_S`
    after the close), then split at the trades cutoff; for a `live_market` the live query covers
    the whole clipped window (see the module docstring). Empty when the market did not trade.
    """
    lo = start_ts if open_ts is None else max(start_ts, open_ts)
    hi = end_ts if close_ts is None else min(end_ts, close_ts + LATE_PRINT_S)
    if hi <= lo:
        return []
    cut = cutoff.trades_ts
    out: list[TradeSegment] = []
    if lo < cut:
        out.append(TradeSegment(Family.HISTORICAL, lo, min(hi, cut)))
    if live_market:
        out.append(TradeSegment(Family.LIVE, lo, hi))
    elif hi > cut:
        out.append(TradeSegment(Family.LIVE, max(lo, cut), hi))
    return out


def _ceil_to(x: int, step: int) -> int:
    return -(-x // step) * step


def candle_count(
    start_ts: int, end_ts: int, open_ts: int | None, close_ts: int | None, period: int
) -> int:
    """Upper bound on the candles of one market ending in ``[start_ts, end_ts)``.

    Kalshi stamps a candle with its period's end and returns one per period while the market
    trades: ends run from the first boundary after the open to the boundary at or after close.
    """
    p = period * 60
    first = start_ts if open_ts is None else max(start_ts, open_ts + 1)
    first_end = _ceil_to(first, p)
    last = end_ts - 1
    last_end = last if close_ts is None else min(last, _ceil_to(close_ts, p))
    last_end = last_end - last_end % p
    if last_end < first_end:
        return 0
    return (last_end - first_end) // p + 1


@dataclass(frozen=True, slots=True)
class CandleJob:
    """Markets whose candles one batch request fetches (their estimated candle total fits)."""

    tickers: tuple[str, ...]
    estimated: int


def pack_batches(
    counts: Sequence[tuple[str, int]],
    *,
    max_tickers: int = BATCH_MAX_TICKERS,
    max_candles: int = BATCH_MAX_CANDLES,
) -> list[CandleJob]:
    """Group markets into batch requests: at most `max_tickers` markets and `max_candles`
    estimated candles per request (first fit, largest first). Markets with no candles are left
    out; a market too big for one request is an error (fetch a shorter window)."""
    jobs: list[list[str]] = []
    totals: list[int] = []
    for ticker, n in sorted(counts, key=lambda x: (-x[1], x[0])):
        if n <= 0:
            continue
        if n > max_candles:
            raise ValueError(
                f"{ticker}: {n} candles in one window exceed the {max_candles} per request"
            )
        for i, total in enumerate(totals):
            if total + n <= max_candles and len(jobs[i]) < max_tickers:
                jobs[i].append(ticker)
                totals[i] += n
                break
        else:
            jobs.append([ticker])
            totals.append(n)
    return [CandleJob(tuple(j), t) for j, t in zip(jobs, totals, strict=True)]


def max_days_per_request(period: int, per_request: int = SINGLE_MAX_CANDLES) -> int:
    """Most whole days of one market's candles that fit one single-market request."""
    return max(1, per_request // (DAY_S // (period * 60)))


def default_days_per_fetch(period: int | None) -> int:
    """Days fetched together before they are written (still one transaction per day).

    Trades and 1-minute candles go day by day (a day of them is already many requests and a
    lot of memory); hourly and daily candles are tiny per day, so several days share requests.
    """
    if period is None or period == 1:
        return 1
    if period == 60:
        return 7
    return 31
