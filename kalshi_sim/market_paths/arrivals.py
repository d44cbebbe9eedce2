"""When markets trade and requote: the count trees over each market's steps.

A market's total over its event's grid (contracts in the busy dynamics; taker orders, and maker
revisions on a second tree, in the calibrated one) is split down a dyadic tree, node by node,
so the count before any step is one O(log T) walk and a step's own count its leaf. The
calibrated order tree also carries the orders' extra contracts (Beta splits of a Gamma sum).
"""

# Kernel arguments are numpy arrays typed by numba at compile time; annotating each one would
# restate the call sites without checking anything.
# mypy: disable-error-code="no-untyped-def"
from __future__ import annotations

import math

import numpy as np

from kalshi_sim.market_paths.hashing import (
    C1,
    C2,
    C3,
    C4,
    SALT_G,
    SALT_P,
    SALT_U,
    SALT_V,
    gamma_h,
    gauss,
    hkey,
    mix,
    unif,
)
from kalshi_sim.market_paths.jit import kernel
from kalshi_sim.market_paths.params import (
    BURST,
    D_WINDOW,
    PRE_SHARE,
    PRE_SHARE_REVISIONS,
    SIZE_SHAPE,
    STEP,
)


@kernel
def split(seed: int, m: int, mid: int, n: int) -> int:
    """Contracts of a node's total that fall in its left half (bursty binomial)."""
    if n <= 0:
        return 0
    h = hkey(seed, SALT_V, m, mid)
    q = 0.5 + 0.5 * (unif(h) - 0.5)
    if n < 48:
        left = 0
        for i in range(n):
            if unif(mix(h + np.uint64(i + 1))) < q:
                left += 1
        return left
    z = gauss(mix(h ^ C3))
    left = math.floor(n * q + math.sqrt(n * q * (1.0 - q)) * z + 0.5)
    if left < 0:
        return 0
    if left > n:
        return n
    return left


@kernel
def split_cal(seed: int, salt: int, m: int, mid: int, a0: int, n: int) -> int:
    """Calibrated: events of a node's total that fall in its left (earlier) half: a share
    uniform over a wide range (bursts at every scale), small when the left half lies wholly
    before the market's active window (steps >= a0)."""
    if n <= 0:
        return 0
    h = hkey(seed, salt, m, mid)
    q = 0.5 + BURST * (unif(h) - 0.5)
    if mid <= a0:
        q = 2.0 * (PRE_SHARE_REVISIONS if salt == SALT_U else PRE_SHARE) * unif(h)
    if n < 48:
        left = 0
        for i in range(n):
            if unif(mix(h + np.uint64(i + 1))) < q:
                left += 1
        return left
    z = gauss(mix(h ^ C3))
    left = math.floor(n * q + math.sqrt(n * q * (1.0 - q)) * z + 0.5)
    if left < 0:
        return 0
    if left > n:
        return n
    return left


@kernel
def root_total(m: int, depth: int, m_rate: np.ndarray) -> int:
    return int(m_rate[m] * (1 << depth) * STEP)


@kernel
def active_start(m: int, kmax: int, m_dyn) -> int:
    """First step of market m's active window."""
    return kmax - int(m_dyn[m, D_WINDOW])


@kernel
def count_walk(seed: int, salt: int, m: int, depth: int, a0: int, total: int, j: int):
    """Calibrated count tree: (events in leaves < j, events in leaf j, last positive leaf < j
    or -1, its count)."""
    lo = 0
    hi = 1 << depth
    cnt = total
    cum = 0
    blo = -1
    bhi = -1
    bcnt = 0
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        left = split_cal(seed, salt, m, mid, a0, cnt)
        if j >= mid:
            if left > 0:
                blo = lo
                bhi = mid
                bcnt = left
            cum += left
            lo = mid
            cnt -= left
        else:
            hi = mid
            cnt = left
    leaf = cnt
    if blo < 0:
        return cum, leaf, -1, 0
    lo = blo
    hi = bhi
    cnt = bcnt
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        left = split_cal(seed, salt, m, mid, a0, cnt)
        if cnt - left > 0:
            lo = mid
            cnt = cnt - left
        else:
            hi = mid
            cnt = left
    return cum, leaf, lo, cnt


@kernel
def volume_walk(seed: int, m: int, depth: int, total: int, j: int):
    """(contracts in leaves < j, contracts in leaf j, last positive leaf < j or -1, its count)."""
    lo = 0
    hi = 1 << depth
    cnt = total
    cum = 0
    blo = -1
    bhi = -1
    bcnt = 0
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        left = split(seed, m, mid, cnt)
        if j >= mid:
            if left > 0:
                blo = lo
                bhi = mid
                bcnt = left
            cum += left
            lo = mid
            cnt -= left
        else:
            hi = mid
            cnt = left
    leaf = cnt
    if blo < 0:
        return cum, leaf, -1, 0
    lo = blo
    hi = bhi
    cnt = bcnt
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        left = split(seed, m, mid, cnt)
        if cnt - left > 0:
            lo = mid
            cnt = cnt - left
        else:
            hi = mid
            cnt = left
    return cum, leaf, lo, cnt


# -- calibrated prints: counts and contracts on one tree ------------------------------------------


@kernel
def beta_excess(h: np.uint64, e: int, n_left: int, n_right: int, a: float) -> int:
    """Extra contracts (beyond one per order) of a node's `e` that fall on its left side.

    With every order's extra contracts iid Gamma(a), the left side's share of the sum is
    Beta(n_left*a, n_right*a) whatever the sum: drawing it top-down keeps each order's size
    exactly Gamma-distributed and lets a walk total the contracts before any leaf."""
    if e <= 0 or n_left <= 0:
        return 0
    if n_right <= 0:
        return e
    gl = gamma_h(h, n_left * a)
    gr = gamma_h(mix(h ^ C1), n_right * a)
    s = gl + gr
    share = 0.5 if s <= 0.0 else gl / s
    x = math.floor(e * share + unif(mix(h ^ C4)))
    if x < 0:
        return 0
    if x > e:
        return e
    return x


@kernel
def root_excess(seed: int, m: int, prints: int, theta: float) -> int:
    """Extra contracts of all a market's prints: Gamma(prints * a) scaled by the market's size."""
    if prints <= 0:
        return 0
    h = hkey(seed, SALT_G, m, 0)
    x: int = math.floor(gamma_h(h, prints * SIZE_SHAPE) * theta + unif(mix(h ^ C2)))
    return x


@kernel
def print_walk(seed: int, m: int, depth: int, a0: int, total: int, excess: int, j: int):
    """Calibrated: (prints in leaves < j, their contracts, prints in leaf j, extra contracts of
    leaf j, last positive leaf < j or -1, its prints)."""
    lo = 0
    hi = 1 << depth
    cnt = total
    exc = excess
    cum = 0
    cum_v = 0
    blo = -1
    bhi = -1
    bcnt = 0
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        left = split_cal(seed, SALT_P, m, mid, a0, cnt)
        el = beta_excess(hkey(seed, SALT_G, m, mid), exc, left, cnt - left, SIZE_SHAPE)
        if j >= mid:
            if left > 0:
                blo = lo
                bhi = mid
                bcnt = left
            cum += left
            cum_v += left + el
            lo = mid
            cnt -= left
            exc -= el
        else:
            hi = mid
            cnt = left
            exc = el
    leaf = cnt
    if blo < 0:
        return cum, cum_v, leaf, exc, -1, 0
    lo = blo
    hi = bhi
    cnt = bcnt
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        left = split_cal(seed, SALT_P, m, mid, a0, cnt)
        if cnt - left > 0:
            lo = mid
            cnt = cnt - left
        else:
            hi = mid
            cnt = left
    return cum, cum_v, leaf, exc, lo, cnt
