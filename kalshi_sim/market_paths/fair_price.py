"""Fair prices: each event's latent Brownian path and its markets' YES probabilities.

An event's path Y runs in information time (variance accrues faster as the close nears) and is
built top-down by dyadic Brownian-bridge refinement, so Y at any step costs O(log T) hashes. A
market is YES when Y at the close falls in its interval [lo, hi); its fair price at step k is
P(lo <= Y(close) < hi | Y(k)). Combos multiply their legs' probabilities (independent events).
"""

# Kernel arguments are numpy arrays typed by numba at compile time; annotating each one would
# restate the call sites without checking anything.
# mypy: disable-error-code="no-untyped-def"
from __future__ import annotations

import math

import numpy as np

from kalshi_sim.market_paths.hashing import SALT_Y, gauss, hkey, mix
from kalshi_sim.market_paths.jit import kernel
from kalshi_sim.market_paths.params import STEP

DTD = STEP / 86400.0
_ROOT = np.uint64(0xFFFFFFFFFFFF)


@kernel
def ncdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@kernel
def info_time(k: float, kmax: int) -> float:
    """Information clock g(k) in days-of-variance: news arrives faster as the close nears, so
    markets stay uncertain until late (g(kmax) = life in days, g(k) = life * (k/kmax)^3)."""
    life = max(kmax, 1) * DTD
    x = k / max(kmax, 1)
    return life * x * x * x


@kernel
def brownian(seed: int, e: int, depth: int, kmax: int, k: int) -> float:
    """Y_e at grid step k: Brownian motion in information time (Y(0) = 0, Var Y(kmax) = life)."""
    base = hkey(seed, SALT_Y, e, 0)
    lo = 0
    hi = 1 << depth
    glo = 0.0
    ghi = info_time(hi, kmax)
    a = 0.0
    b = math.sqrt(ghi) * gauss(mix(base ^ _ROOT))
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        gm = info_time(mid, kmax)
        span = ghi - glo
        if span > 0.0:
            w = (gm - glo) / span
            var = (gm - glo) * (ghi - gm) / span
        else:
            w = 0.5
            var = 0.0
        ym = a + (b - a) * w + math.sqrt(max(var, 0.0)) * gauss(mix(base ^ np.uint64(mid)))
        if k >= mid:
            lo = mid
            glo = gm
            a = ym
        else:
            hi = mid
            ghi = gm
            b = ym
    return a if k == lo else b


CACHE_SLOTS = 4096


def new_cache() -> tuple[np.ndarray, np.ndarray]:
    """A direct-mapped memo of Brownian values for one request: markets of one event share
    their path, so a page of brackets walks each (event, step) once."""
    return np.full(CACHE_SLOTS, -1, np.int64), np.zeros(CACHE_SLOTS, np.float64)


@kernel
def brownian_cached(seed: int, e: int, depth: int, kmax: int, k: int, yk, yv) -> float:
    key = e * 4294967296 + k
    slot = (e * 1000003 + k * 7919) % CACHE_SLOTS
    if yk[slot] == key:
        cached: float = yv[slot]
        return cached
    y = brownian(seed, e, depth, kmax, k)
    yk[slot] = key
    yv[slot] = y
    return y


@kernel
def step_of(t: float, grid0: float, kmax: int) -> int:
    k = math.floor((t - grid0) / STEP)
    if k < 0:
        return 0
    if k > kmax:
        return kmax
    return k


@kernel
def p_regular(
    seed: int,
    m: int,
    t: float,
    m_event: np.ndarray,
    m_lo: np.ndarray,
    m_hi: np.ndarray,
    e_grid0: np.ndarray,
    e_kmax: np.ndarray,
    e_depth: np.ndarray,
    yk,
    yv,
) -> float:
    e = m_event[m]
    kmax = e_kmax[e]
    k = step_of(t, e_grid0[e], kmax)
    y = brownian_cached(seed, e, e_depth[e], kmax, k, yk, yv)
    rem = info_time(kmax, kmax) - info_time(k, kmax)
    lo = m_lo[m]
    hi = m_hi[m]
    if rem <= 0.0:
        return 1.0 if (y >= lo and y < hi) else 0.0
    s = math.sqrt(rem)
    return ncdf((hi - y) / s) - ncdf((lo - y) / s)


@kernel
def p_at(
    seed: int,
    m: int,
    t: float,
    m_event: np.ndarray,
    m_lo: np.ndarray,
    m_hi: np.ndarray,
    m_mve: np.ndarray,
    leg_start: np.ndarray,
    leg_market: np.ndarray,
    leg_yes: np.ndarray,
    e_grid0: np.ndarray,
    e_kmax: np.ndarray,
    e_depth: np.ndarray,
    yk,
    yv,
) -> float:
    """Fair YES probability of market m at time t (combos: product over independent legs)."""
    if not m_mve[m]:
        return p_regular(seed, m, t, m_event, m_lo, m_hi, e_grid0, e_kmax, e_depth, yk, yv)
    p = 1.0
    for i in range(leg_start[m], leg_start[m + 1]):
        q = p_regular(seed, leg_market[i], t, m_event, m_lo, m_hi, e_grid0, e_kmax, e_depth, yk, yv)
        p *= q if leg_yes[i] else 1.0 - q
    return p
