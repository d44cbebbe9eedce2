"""The synthetic market model: quotes, volumes, trades, candles and books as functions of time.

A thin layer over the numba kernels of `kalshi_sim.market_paths` that holds the universe's
arrays in the shapes the kernels expect. Every method is a pure function of (seed, market,
time). The universe says which dynamics its markets follow (`Universe.dynamics`: busy or
calibrated, see `kalshi_sim.market_paths`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kalshi_sim.market_paths.fair_price import new_cache
from kalshi_sim.market_paths.hashing import SALT_B, gauss, hkey, mix
from kalshi_sim.market_paths.market_rows import market_rows
from kalshi_sim.market_paths.params import D_BOOK, DYN_BUSY, N_DYN
from kalshi_sim.market_paths.prints import volume_and_last
from kalshi_sim.market_paths.quotes import quote_at, quote_path, quote_step, tick_at
from kalshi_sim.market_paths.tapes import trades_between, trades_multi
from kalshi_sim.universe import STEP_S, Universe

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
BOOL = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Trades:
    """Trades of one market, ascending by time."""

    market: int
    times: F64
    counts: I64
    prices: I64
    taker_yes: npt.NDArray[np.bool_]
    leaf: I64
    slot: I64


@dataclass(frozen=True)
class TradeBatch:
    """Trades of many markets in one window, unordered; `overflow` means the window held more
    than the requested capacity (narrow it and ask again)."""

    markets: I64
    times: F64
    counts: I64
    prices: I64
    taker_yes: npt.NDArray[np.bool_]
    leaf: I64
    slot: I64
    overflow: bool


class SyntheticModel:
    """Quotes and history of a generated universe."""

    def __init__(self, u: Universe) -> None:
        self.u = u
        self.seed = int(u.seed) & 0x7FFFFFFFFFFFFFFF
        grid0 = (u.e_open + u.e_phase).astype(np.float64)
        kmax = np.maximum(np.floor((u.e_close - grid0) / STEP_S), 0).astype(np.int64)
        depth = np.maximum(np.ceil(np.log2(kmax + 2)), 1).astype(np.int64)
        self.e_grid0 = grid0
        self.e_kmax = kmax
        self.e_depth = depth
        n = u.n_markets
        ls = u.leg_start if len(u.leg_start) == n + 1 else np.full(n + 1, -1, np.int64)
        self.leg_start = ls
        self.leg_market = u.leg_market if len(u.leg_market) else np.zeros(1, np.int64)
        self.leg_yes = u.leg_yes if len(u.leg_yes) else np.zeros(1, np.bool_)
        self.m_open = u.m_open.astype(np.float64)
        self.m_close = u.m_close.astype(np.float64)
        self.m_det = u.m_determined.astype(np.float64)
        self.m_settle = u.m_settle.astype(np.float64)
        self.mode = int(u.dynamics)
        self.m_dyn = u.m_dyn if u.m_dyn.shape == (n, N_DYN) else np.zeros((n, N_DYN))

    def _core(self) -> tuple[I64, F64, F64, BOOL, I64, I64, BOOL, F64, I64, I64]:
        """The market, leg and event-grid arrays, in kernel argument order."""
        u = self.u
        return (
            u.m_event,
            u.m_lo,
            u.m_hi,
            u.m_is_mve,
            self.leg_start,
            self.leg_market,
            self.leg_yes,
            self.e_grid0,
            self.e_kmax,
            self.e_depth,
        )

    def _quoting(self) -> tuple[I64, I64, F64, F64, int]:
        """The per-market quote and activity parameters, in kernel argument order."""
        u = self.u
        return (u.m_half_spread, u.m_tick, u.m_rate, self.m_dyn, self.mode)

    def rows(self, idx: I64, t: float) -> I64:
        """Dynamic state of markets `idx` at time t; columns are `market_paths.market_rows.C_*`."""
        u = self.u
        out: I64 = market_rows(
            np.ascontiguousarray(idx, np.int64),
            float(t),
            self.seed,
            *self._core(),
            *self._quoting(),
            self.m_open,
            self.m_close,
            self.m_det,
            self.m_settle,
            u.m_oi_frac,
            *new_cache(),
        )
        return out

    def quote(self, m: int, t: float) -> tuple[int, int, int, int]:
        """(bid, ask, bid size, ask size) of an active market at time t."""
        b, a, bs, az = quote_at(
            self.seed, m, float(t), *self._core(), *self._quoting(), *new_cache()
        )
        return int(b), int(a), int(bs), int(az)

    def trades(self, m: int, t0: float, t1: float, cap: int = 200_000) -> Trades:
        times, counts, prices, yes, leaf, slot = trades_between(
            self.seed,
            m,
            float(t0),
            float(t1),
            *self._core(),
            *self._quoting(),
            self.m_open,
            self.m_close,
            cap,
            *new_cache(),
        )
        return Trades(m, times, counts, prices, yes, leaf, slot)

    def trades_window(self, ms: I64, t0: float, t1: float, cap: int = 100_000) -> TradeBatch:
        mk, times, counts, prices, yes, leaf, slot, overflow = trades_multi(
            self.seed,
            np.ascontiguousarray(ms, np.int64),
            float(t0),
            float(t1),
            *self._core(),
            *self._quoting(),
            self.m_open,
            self.m_close,
            cap,
            *new_cache(),
        )
        return TradeBatch(mk, times, counts, prices, yes, leaf, slot, bool(overflow))

    def volume_last(self, m: int, t: float) -> tuple[int, int]:
        v, last = volume_and_last(
            self.seed,
            m,
            float(t),
            *self._core(),
            *self._quoting(),
            self.m_open,
            self.m_close,
            *new_cache(),
        )
        return int(v), int(last)

    def open_interest(self, m: int, t: float) -> int:
        """Open interest at t: a fixed share of the volume traded so far (grows with trades)."""
        vol, _last = self.volume_last(m, t)
        return int(vol * float(self.u.m_oi_frac[m]))

    def quote_ohlc(self, m: int, t0: float, t1: float) -> tuple[int, ...]:
        res = quote_path(
            self.seed,
            m,
            float(t0),
            float(t1),
            *self._core(),
            *self._quoting(),
            *new_cache(),
        )
        return tuple(int(x) for x in res)

    def book_levels(
        self, m: int, t: float, depth: int
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Resting bids (price, size) best first: YES side and NO side; consistent with quote()."""
        bid, ask, bsz, asz = self.quote(m, t)
        u = self.u
        tapered = bool(u.m_tick[m] == 1)
        # The book stands still with its quote: deeper levels are keyed by the quote's step.
        k = int(
            quote_step(
                self.seed, m, float(t), u.m_event, self.e_grid0, self.e_kmax, self.e_depth,
                u.m_rate, self.m_dyn, self.mode,
            )
        )  # fmt: skip
        deep_mu = 3.0 if self.mode == DYN_BUSY else float(self.m_dyn[m, D_BOOK])
        levels = int(self.u.m_depth[m])
        if depth > 0:
            levels = min(levels, depth)
        yes: list[tuple[int, int]] = []
        no: list[tuple[int, int]] = []
        if bid > 0:
            yes = _ladder(self.seed, m, k, bid, bsz, levels, tapered, 1, deep_mu)
        if ask < 10000:
            no = _ladder(self.seed, m, k, 10000 - ask, asz, levels, tapered, 2, deep_mu)
        return yes, no


def _ladder(
    seed: int,
    m: int,
    k: int,
    best: int,
    best_size: int,
    levels: int,
    tapered: bool,
    side: int,
    deep_mu: float = 3.0,
) -> list[tuple[int, int]]:
    out = [(best, best_size)]
    price = best
    i = 1
    while len(out) < levels:
        h = int(hkey(seed, SALT_B, m, (k * 4 + side) * 64 + i))
        tk = int(tick_at(float(price - 1), tapered))
        gap = 1 + (h & 3) // 2
        price -= gap * tk
        if price <= 0:
            break
        size = 1 + int(np.exp(deep_mu + 1.4 * float(gauss(np.uint64(mix(np.uint64(h)))))))
        out.append((price, size))
        i += 1
    return out
