"""What the recorded exchange asks of the data: candles, spans of the tape, recent activity."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import numpy as np

from kalshi_sim.recorded.data import I64, US, MinuteCandles, RecordedData, TradeTape


@dataclass(frozen=True, slots=True)
class CandleRow:
    """One period with recorded trades: trade-price OHLC, volume-weighted mean (None when the
    recording has no trades, only candles), the last price before the period, volume."""

    end_s: int
    open_bp: int
    high_bp: int
    low_bp: int
    close_bp: int
    mean: Decimal | None  # dollars, 4 decimals
    previous_bp: int | None
    volume_h: int


_BP: Final = Decimal(10_000)
_MEAN_STEP: Final = Decimal("0.0001")


def _ceil_to(x: int, step: int) -> int:
    return -(-x // step) * step


def trade_candles(
    tape: TradeTape, m: int, first_end: int, last_end: int, p: int
) -> list[CandleRow]:
    """Candles of period `p` seconds ending in [first_end, last_end] built from the tape: a
    trade at t belongs to the candle whose inclusive end is the first period boundary >= t."""
    ranks = tape.by_market[m][::-1] if tape.size else np.zeros(0, np.int64)
    times = tape.time_us[ranks]
    lo = int(np.searchsorted(times, (first_end - p) * US, side="right"))
    hi = int(np.searchsorted(times, last_end * US, side="right"))
    if hi <= lo:
        return []
    prices = tape.price_bp[ranks[lo:hi]]
    counts = tape.count_h[ranks[lo:hi]]
    ends = -(-times[lo:hi] // (p * US)) * p
    starts = np.flatnonzero(np.diff(ends, prepend=ends[0] - 1))
    bounds = [*starts.tolist(), hi - lo]
    previous = int(tape.price_bp[ranks[lo - 1]]) if lo else None
    out: list[CandleRow] = []
    for a, b in itertools.pairwise(bounds):
        px, n = prices[a:b], counts[a:b]
        volume = int(n.sum())
        mean = None
        if volume:
            mean = (Decimal(int((px * n).sum())) / volume / _BP).quantize(_MEAN_STEP)
        out.append(
            CandleRow(
                int(ends[a]),
                int(px[0]),
                int(px.max()),
                int(px.min()),
                int(px[-1]),
                mean,
                previous,
                volume,
            )
        )
        previous = int(px[-1])
    return out


def minute_candles(c: MinuteCandles, first_end: int, last_end: int, p: int) -> list[CandleRow]:
    """Recorded 1-minute candles aggregated to period `p` seconds (a multiple of 60): the
    minute ending at e belongs to the period ending at the first boundary >= e. The recording
    has no volume-weighted mean, so it stays None."""
    lo = int(np.searchsorted(c.end_s, first_end - p, side="right"))
    hi = int(np.searchsorted(c.end_s, last_end, side="right"))
    if hi <= lo:
        return []
    ends = -(-c.end_s[lo:hi] // p) * p
    starts = np.flatnonzero(np.diff(ends, prepend=ends[0] - 1))
    bounds = [*starts.tolist(), hi - lo]
    previous = int(c.close_bp[lo - 1]) if lo else None
    out: list[CandleRow] = []
    for a, b in itertools.pairwise(bounds):
        i, j = lo + a, lo + b
        out.append(
            CandleRow(
                int(ends[a]),
                int(c.open_bp[i]),
                int(c.high_bp[i:j].max()),
                int(c.low_bp[i:j].min()),
                int(c.close_bp[j - 1]),
                None,
                previous,
                int(c.volume_h[i:j].sum()),
            )
        )
        previous = int(c.close_bp[j - 1])
    return out


def candle_rows(
    data: RecordedData, m: int, start_s: int, end_s: int, period_minutes: int
) -> list[CandleRow]:
    """The periods ending in [start_s, end_s] that hold recorded trades (a recording knows
    nothing of the others: no quote, no trade), from the market's candles or its tape."""
    p = period_minutes * 60
    first_end, last_end = _ceil_to(start_s, p), end_s - end_s % p
    if last_end < first_end:
        return []
    c = data.candles.get(m)
    if c is not None:
        return minute_candles(c, first_end, last_end, p)
    return trade_candles(data.tape, m, first_end, last_end, p)


def trade_span(
    tape: TradeTape, m: int | None, lower_us: int | None, upper_us: int | None, after_rank: int
) -> tuple[I64, int, int]:
    """The trades of market m (or all) with lower_us <= time <= upper_us and rank > after_rank
    (-1: from the newest): (ranks of the candidates, first position, end position)."""
    ranks = tape.by_market[m] if m is not None else np.arange(tape.size, dtype=np.int64)
    neg = -tape.time_us[ranks]  # ascending: ranks are newest first
    i0 = 0 if upper_us is None else int(np.searchsorted(neg, -upper_us, side="left"))
    i1 = len(ranks) if lower_us is None else int(np.searchsorted(neg, -lower_us, side="right"))
    start = max(i0, int(np.searchsorted(ranks, after_rank, side="right")))
    return ranks, start, i1


def recent_activity(data: RecordedData, m: int, since_us: int) -> tuple[int, int | None]:
    """(contracts traded after `since_us`, last price at or before it) of market m."""
    c = data.candles.get(m)
    if c is not None:
        k = int(np.searchsorted(c.end_s, since_us // US, side="right"))
        return int(c.volume_h[k:].sum()), (int(c.close_bp[k - 1]) if k else None)
    if not data.tape.size:
        return 0, None
    ranks = data.tape.by_market[m]
    neg = -data.tape.time_us[ranks]
    k = int(np.searchsorted(neg, -since_us, side="left"))  # trades newer than since_us
    before = int(data.tape.price_bp[ranks[k]]) if k < len(ranks) else None
    return int(data.tape.count_h[ranks[:k]].sum()), before
