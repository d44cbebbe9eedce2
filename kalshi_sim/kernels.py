"""Numba kernels of the synthetic price/volume model (hot paths of every market-data request).

Everything is a pure function of (seed, ids, time): Brownian paths are built top-down by dyadic
Brownian-bridge refinement and volumes by recursive binomial splitting of a per-market total, so
the value at any time costs O(log T) hash evaluations and needs no stored history.
Time grid: an event's step k covers [grid0 + 60k, grid0 + 60(k+1)), grid0 = open + phase.
Prices are integers in units of $0.0001; counts are whole contracts.

Two dynamics share the fair-price model and differ in how often anything happens:
- busy (`DYN_BUSY`, the model before issue 12.5): the tree splits contracts, every step requotes
  every market (new sizes each minute), spreads 2-8 ticks; the worst case for a writer.
- calibrated (`DYN_CALIBRATED`, the default; docs/SIMULATOR.md measures it against Kalshi's
  recorded tapes and quotes): the tree splits *taker orders*, each carrying 1 + a Gamma number
  of contracts (the same tree splits the contracts by Beta draws, so volume up to any time is
  still one O(log T) walk); an order prints once or several times at one instant, orders come
  in bursts, mostly in an active window before the close, and a quote is re-derived only at
  steps holding an order or a maker revision (a second tree): between them it stands still.
"""

# Kernel arguments are numpy arrays typed by numba at compile time; annotating each one would
# restate the call sites without checking anything.
# mypy: disable-error-code="no-untyped-def"
from __future__ import annotations

import math

import numba
import numpy as np

STEP = 60.0
DTD = STEP / 86400.0
_C1 = np.uint64(0x9E3779B97F4A7C15)
_C2 = np.uint64(0xBF58476D1CE4E5B9)
_C3 = np.uint64(0x94D049BB133111EB)
_C4 = np.uint64(0xD6E8FEB86659FD93)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_S11 = np.uint64(11)
_LOW32 = np.uint64(0xFFFFFFFF)
_ROOT = np.uint64(0xFFFFFFFFFFFF)
SALT_Y = 1
SALT_V = 2
SALT_Q = 3
SALT_T = 4
SALT_B = 5
SALT_P = 6
"""Calibrated: taker-order tree."""
SALT_U = 7
"""Calibrated: maker-revision tree."""
SALT_G = 8
"""Calibrated: contracts (Gamma/Beta splits) of the order tree."""
SALT_I = 9
"""Calibrated: times and fills of a step's orders."""

ST_INITIALIZED = 0
ST_ACTIVE = 1
ST_CLOSED = 2
ST_DETERMINED = 3
ST_FINALIZED = 4

DYN_BUSY = 0
DYN_CALIBRATED = 1

# Columns of the per-market calibrated parameters (Universe.m_dyn); m_rate holds orders/s.
D_UPD = 0
"""Maker quote revisions per second (tree total over the event's grid)."""
D_SIZE = 1
"""Gamma scale of an order's contracts beyond the first."""
D_BOOK = 2
"""log of the median resting size at a price level."""
D_WIDE = 3
"""Probability that the spread is one tick wider (repeated: geometric widths)."""
D_WINDOW = 4
"""Steps before the close where the market does most of its trading (its active window)."""
N_DYN = 5

# Calibrated shape constants (docs/SIMULATOR.md, "The calibrated model"); per-market scales are
# in m_dyn.
SIZE_SHAPE = 0.4
"""Gamma shape of an order's extra contracts: tapes show p90/p50 ~ 12 and p25/p50 ~ 0.2."""
SWEEP = 0.22
"""Probability that a taker order fills several makers (prints more than once at its instant):
41-47% of real prints share their timestamp with another print of the market."""
SWEEP_MORE = 0.5
"""Probability that such an order prints once more (geometric)."""
FILL_SHAPE = 1.0
"""Dirichlet shape of an order's split among its fills: even-ish pieces, not dust."""
INSTANT_GAP_S = 6.0
"""Mean gap between the orders of one step: real prints cluster within a minute."""
BURST = 0.45
"""Width of a node's split share around 1/2 (uniform): bursty activity at every time scale."""
PRE_SHARE = 0.0003
"""Mean share of its orders a node sends to a left half lying wholly before the active window:
a market trades in the hours before its close (tapes: active life 42 min for hourly crypto, a
day for games, weeks for economics), hardly ever before."""
PRE_SHARE_REVISIONS = 0.05
"""The same for maker revisions: a quiet book is still requoted now and then."""
MAX_SPREAD_TICKS = 12

_jit = numba.njit(cache=True, nogil=True)


@_jit
def mix(x: np.uint64) -> np.uint64:
    z = x + _C1
    z = (z ^ (z >> _S30)) * _C2
    z = (z ^ (z >> _S27)) * _C3
    return z ^ (z >> _S31)


@_jit
def hkey(seed: int, salt: int, a: int, b: int) -> np.uint64:
    z = mix(np.uint64(seed) ^ (np.uint64(salt) * _C4))
    z = mix(z ^ np.uint64(a))
    return mix(z ^ np.uint64(b))


@_jit
def unif(h: np.uint64) -> float:
    return float(h >> _S11) * (1.0 / 9007199254740992.0)


@_jit
def gauss(h: np.uint64) -> float:
    u1 = (float(h >> _S32) + 1.0) / 4294967296.0
    u2 = float(h & _LOW32) / 4294967296.0
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@_jit
def gamma_h(h: np.uint64, a: float) -> float:
    """A Gamma(a, 1) variate from hash h (Marsaglia-Tsang; shape < 1 boosted by U^(1/a))."""
    if a <= 0.0:
        return 0.0
    boost = 1.0
    if a < 1.0:
        u0 = unif(mix(h ^ _C2))
        boost = max(u0, 1e-300) ** (1.0 / a)
        a = a + 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    for i in range(64):
        hi = mix(h + np.uint64(2 * i + 1))
        x = gauss(hi)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = unif(mix(hi ^ _C3))
        if u > 0.0 and math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v * boost
    return d * boost


@_jit
def ncdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@_jit
def info_time(k: float, kmax: int) -> float:
    """Information clock g(k) in days-of-variance: news arrives faster as the close nears, so
    markets stay uncertain until late (g(kmax) = life in days, g(k) = life * (k/kmax)^3)."""
    life = max(kmax, 1) * DTD
    x = k / max(kmax, 1)
    return life * x * x * x


@_jit
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


@_jit
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


@_jit
def step_of(t: float, grid0: float, kmax: int) -> int:
    k = math.floor((t - grid0) / STEP)
    if k < 0:
        return 0
    if k > kmax:
        return kmax
    return k


@_jit
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


@_jit
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


@_jit
def tick_at(x: float, tapered: bool) -> int:
    if tapered and (x < 1000.0 or x >= 9000.0):
        return 10
    return 100


@_jit
def quote_from_p(seed: int, m: int, k: int, p: float, half_spread: int, tapered: bool):
    """(bid, ask, bid_size, ask_size): bid/ask on the tick grid, 0 bid / 10000 ask = empty side."""
    x = p * 10000.0
    hq = hkey(seed, SALT_Q, m, k)
    extra = 1 if (hq & np.uint64(3)) == np.uint64(0) else 0
    tk = tick_at(x, tapered)
    h = (half_spread + extra) * tk
    lo_x = x - h
    hi_x = x + h
    tb = tick_at(lo_x, tapered)
    ta = tick_at(hi_x, tapered)
    bid = math.floor(lo_x / tb) * tb
    ask = math.ceil(hi_x / ta) * ta
    if bid < 0:
        bid = 0
    if ask > 10000:
        ask = 10000
    if bid > 10000 - tb:
        bid = 10000 - tb
    if ask < ta:
        ask = ta
    if ask <= bid:
        ask = bid + tick_at(float(bid), tapered)
    if ask - bid > 6000:
        # Keep at least one side quoted so a trade always has a price.
        if x >= 5000.0:
            bid = ask - 6000
        else:
            ask = bid + 6000
    h2 = mix(hq)
    bsz = 0 if bid == 0 else 1 + int(math.exp(3.5 + 1.2 * gauss(h2)))
    asz = 0 if ask == 10000 else 1 + int(math.exp(3.5 + 1.2 * gauss(mix(h2))))
    return bid, ask, bsz, asz


@_jit
def quote_cal(seed: int, m: int, k: int, p: float, wide: float, book_mu: float, tapered: bool):
    """Calibrated quote at reference step k: a spread of w ticks around the fair price, w >= 1
    geometric (P(one tick wider) = `wide`), so most live books are one tick wide like Kalshi's.
    Sizes are lognormal around exp(book_mu)."""
    x = p * 10000.0
    hq = hkey(seed, SALT_Q, m, k)
    w = 1
    while w < MAX_SPREAD_TICKS and unif(mix(hq + np.uint64(w))) < wide:
        w += 1
    tk = tick_at(x, tapered)
    bid = math.floor(x / tk - w / 2.0 + 0.5) * tk
    ask = bid + w * tk
    # Snap to the grid of the zone each side landed in (tapered: 0.1 cent outside 10-90 cents).
    if bid > 0:
        tb = tick_at(float(bid), tapered)
        bid = (bid // tb) * tb
    ta = tick_at(float(ask), tapered)
    ask = -((-ask) // ta) * ta
    if bid < 0:
        bid = 0
    if ask > 10000:
        ask = 10000
    if bid > 10000 - tk:
        bid = 10000 - tk
    if ask < tk:
        ask = tk
    if ask <= bid:
        ask = bid + tick_at(float(bid), tapered)
    h2 = mix(hq ^ _C3)
    bsz = 0 if bid == 0 else 1 + int(math.exp(book_mu + 1.2 * gauss(h2)))
    asz = 0 if ask == 10000 else 1 + int(math.exp(book_mu + 1.2 * gauss(mix(h2))))
    return bid, ask, bsz, asz


@_jit
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
    z = gauss(mix(h ^ _C3))
    left = math.floor(n * q + math.sqrt(n * q * (1.0 - q)) * z + 0.5)
    if left < 0:
        return 0
    if left > n:
        return n
    return left


@_jit
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
    z = gauss(mix(h ^ _C3))
    left = math.floor(n * q + math.sqrt(n * q * (1.0 - q)) * z + 0.5)
    if left < 0:
        return 0
    if left > n:
        return n
    return left


@_jit
def root_total(m: int, depth: int, m_rate: np.ndarray) -> int:
    return int(m_rate[m] * (1 << depth) * STEP)


@_jit
def active_start(m: int, kmax: int, m_dyn) -> int:
    """First step of market m's active window."""
    return kmax - int(m_dyn[m, D_WINDOW])


@_jit
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


@_jit
def ref_step(seed: int, m: int, k: int, depth: int, a0: int, m_rate, m_dyn) -> int:
    """Calibrated: the step whose quote stands at step k, the last step <= k that held a print
    or a maker revision (the first step when none did)."""
    total = root_total(m, depth, m_rate)
    _c, leaf, pj, _pc = count_walk(seed, SALT_P, m, depth, a0, total, k)
    if leaf > 0:
        return k
    upd = int(m_dyn[m, D_UPD] * (1 << depth) * STEP)
    _c2, leaf2, pj2, _pc2 = count_walk(seed, SALT_U, m, depth, a0, upd, k)
    if leaf2 > 0:
        return k
    r = max(pj, pj2)
    return r if r >= 0 else 0


@_jit
def quote_step(seed, m, t, m_event, e_grid0, e_kmax, e_depth, m_rate, m_dyn, mode) -> int:
    """The step a quote at time t was derived at (it keys the quote's and the book's hashes)."""
    e = m_event[m]
    k = step_of(t, e_grid0[e], e_kmax[e])
    if mode != DYN_CALIBRATED:
        return k
    return ref_step(seed, m, k, e_depth[e], active_start(m, e_kmax[e], m_dyn), m_rate, m_dyn)


@_jit
def quote_at(
    seed: int,
    m: int,
    t: float,
    m_event,
    m_lo,
    m_hi,
    m_mve,
    leg_start,
    leg_market,
    leg_yes,
    e_grid0,
    e_kmax,
    e_depth,
    m_hs,
    m_tick,
    m_rate,
    m_dyn,
    mode,
    yk,
    yv,
):
    e = m_event[m]
    k = step_of(t, e_grid0[e], e_kmax[e])
    tq = t
    if mode == DYN_CALIBRATED:
        a0 = active_start(m, e_kmax[e], m_dyn)
        k = ref_step(seed, m, k, e_depth[e], a0, m_rate, m_dyn)
        tq = e_grid0[e] + k * STEP
    p = p_at(
        seed, m, tq, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0,
        e_kmax, e_depth, yk, yv,
    )  # fmt: skip
    if mode == DYN_CALIBRATED:
        return quote_cal(seed, m, k, p, m_dyn[m, D_WIDE], m_dyn[m, D_BOOK], m_tick[m] == 1)
    return quote_from_p(seed, m, k, p, m_hs[m], m_tick[m] == 1)


@_jit
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


@_jit
def leaf_trades(
    seed: int,
    m: int,
    j: int,
    vol: int,
    grid0: float,
    sizes: np.ndarray,
    times: np.ndarray,
) -> int:
    """Split leaf j's volume into up to 4 trades (times strictly increasing inside the leaf)."""
    if vol <= 0:
        return 0
    h = hkey(seed, SALT_T, m, j)
    n = 1 + int(h & np.uint64(3))
    if n > vol:
        n = vol
    wsum = 0.0
    for i in range(n):
        sizes[i] = 0
        times[i] = 0.25 + unif(mix(h + np.uint64(7 * i + 1)))
        wsum += times[i]
    used = 0
    out = 0
    start = grid0 + j * STEP
    for i in range(n):
        s = vol - used if i == n - 1 else int(vol * times[i] / wsum)
        used += s
        if s > 0:
            off = (i + unif(mix(h + np.uint64(7 * i + 3)))) / n * STEP
            sizes[out] = s
            times[out] = math.floor((start + off) * 1000.0) / 1000.0
            out += 1
    return out


@_jit
def trade_side_yes(seed: int, m: int, j: int, i: int) -> bool:
    return unif(hkey(seed, SALT_T + 100, m, j * 8 + i)) < 0.5


@_jit
def taker_yes_cal(seed: int, m: int, j: int, inst: int) -> bool:
    """Calibrated: the taker side of order `inst` of step j (shared by all its prints)."""
    return unif(mix(hkey(seed, SALT_T + 200, m, j) + np.uint64(inst))) < 0.5


# -- calibrated prints: counts and contracts on one tree ------------------------------------------


@_jit
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
    gr = gamma_h(mix(h ^ _C1), n_right * a)
    s = gl + gr
    share = 0.5 if s <= 0.0 else gl / s
    x = math.floor(e * share + unif(mix(h ^ _C4)))
    if x < 0:
        return 0
    if x > e:
        return e
    return x


@_jit
def root_excess(seed: int, m: int, prints: int, theta: float) -> int:
    """Extra contracts of all a market's prints: Gamma(prints * a) scaled by the market's size."""
    if prints <= 0:
        return 0
    h = hkey(seed, SALT_G, m, 0)
    x: int = math.floor(gamma_h(h, prints * SIZE_SHAPE) * theta + unif(mix(h ^ _C2)))
    return x


@_jit
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


@_jit
def leaf_prints(seed: int, m: int, j: int, c: int, exc: int, grid0: float):
    """Calibrated: the prints of step j's c taker orders, as (times, sizes, order index).

    Each order gets 1 + a Dirichlet share of the step's extra contracts and prints at one
    instant, most once, some several times (it filled several makers: SWEEP); orders follow
    each other a few seconds apart (INSTANT_GAP_S), so a step's prints come in a burst."""
    if c <= 0:
        return np.empty(0, np.float64), np.empty(0, np.int64), np.empty(0, np.int64)
    hs = hkey(seed, SALT_G + 100, m, j)
    order = np.empty(c, np.int64)
    rem = exc
    for i in range(c):
        # the last order takes the rest, so a step's sizes add up to its contracts exactly
        h = mix(hs + np.uint64(i + 1))
        x = rem if i == c - 1 else beta_excess(h, rem, 1, c - 1 - i, SIZE_SHAPE)
        order[i] = 1 + x
        rem -= x
    hk = hkey(seed, SALT_I + 100, m, j)
    fills = np.empty(c, np.int64)
    total = 0
    for i in range(c):
        hi = mix(hk + np.uint64(i))
        k = 1
        if unif(hi) < SWEEP:
            k = 2
            while unif(mix(hi + np.uint64(k))) < SWEEP_MORE:
                k += 1
        fills[i] = min(k, order[i])
        total += fills[i]
    times = np.empty(total, np.float64)
    sizes = np.empty(total, np.int64)
    inst = np.empty(total, np.int64)
    hb = hkey(seed, SALT_I, m, j)
    hg = hb ^ _C2
    gaps = 0.0
    for i in range(1, c):
        gaps += -math.log(1.0 - unif(mix(hg + np.uint64(i)))) * INSTANT_GAP_S
    room = STEP - 2.0
    scale = 1.0
    if gaps > 0.9 * room:
        scale = 0.9 * room / gaps
    cur = grid0 + j * STEP + unif(mix(hb ^ _C3)) * (room - gaps * scale)
    p = 0
    for i in range(c):
        if i > 0:
            cur += scale * -math.log(1.0 - unif(mix(hg + np.uint64(i)))) * INSTANT_GAP_S
        t = math.floor(cur * 1000.0) / 1000.0
        hp = mix(hk ^ _C4) + np.uint64(64 * i)
        rem = order[i] - fills[i]
        for r in range(fills[i]):
            last = r == fills[i] - 1
            h = mix(hp + np.uint64(r))
            x = rem if last else beta_excess(h, rem, 1, fills[i] - 1 - r, FILL_SHAPE)
            sizes[p] = 1 + x
            rem -= x
            times[p] = t
            inst[p] = i
            p += 1
    return times, sizes, inst


@_jit
def trade_price(
    seed: int,
    m: int,
    j: int,
    i: int,
    t: float,
    m_event,
    m_lo,
    m_hi,
    m_mve,
    leg_start,
    leg_market,
    leg_yes,
    e_grid0,
    e_kmax,
    e_depth,
    m_hs,
    m_tick,
    m_rate,
    m_dyn,
    mode,
    yk,
    yv,
):
    """(yes price, taker bought yes?) of trade i of leaf j at time t: takers cross the spread.
    Calibrated: i is the index of the print's taker order within the step."""
    bid, ask, _bs, _as = quote_at(
        seed, m, t, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0, e_kmax,
        e_depth, m_hs, m_tick, m_rate, m_dyn, mode, yk, yv,
    )  # fmt: skip
    cal = mode == DYN_CALIBRATED
    yes = taker_yes_cal(seed, m, j, i) if cal else trade_side_yes(seed, m, j, i)
    if bid == 0:
        yes = True
    elif ask == 10000:
        yes = False
    return (ask if yes else bid), yes


@_jit
def volume_and_last_cal(
    seed, m, t, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0, e_kmax,
    e_depth, m_hs, m_tick, m_rate, m_dyn, m_open, m_close, yk, yv,
):  # fmt: skip
    """Calibrated volume_and_last: one walk of the print tree totals the contracts."""
    if t < m_open[m]:
        return 0, -1
    t_eff = min(t, float(m_close[m]) - 0.001)
    e = m_event[m]
    g0 = e_grid0[e]
    if t_eff < g0:
        return 0, -1
    depth = e_depth[e]
    j = math.floor((t_eff - g0) / STEP)
    total = root_total(m, depth, m_rate)
    excess = root_excess(seed, m, total, m_dyn[m, D_SIZE])
    a0 = active_start(m, e_kmax[e], m_dyn)
    _cum, cum_v, c, exc, pj, pc = print_walk(seed, m, depth, a0, total, excess, j)
    vol = cum_v
    times, sizes, inst = leaf_prints(seed, m, j, c, exc, g0)
    last_i = -1
    for i in range(len(times)):
        if times[i] <= t_eff:
            vol += sizes[i]
            last_i = i
    if last_i >= 0:
        price, _y = trade_price(
            seed, m, j, inst[last_i], times[last_i], m_event, m_lo, m_hi, m_mve, leg_start,
            leg_market, leg_yes, e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn,
            DYN_CALIBRATED, yk, yv,
        )  # fmt: skip
        return vol, price
    if pj < 0:
        return vol, -1
    # Only the previous step's last print (its time and order) matters, not the sizes.
    times, sizes, inst = leaf_prints(seed, m, pj, pc, 0, g0)
    price, _y = trade_price(
        seed, m, pj, inst[-1], times[-1], m_event, m_lo, m_hi, m_mve, leg_start,
        leg_market, leg_yes, e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn,
        DYN_CALIBRATED, yk, yv,
    )  # fmt: skip
    return vol, price


@_jit
def volume_and_last(
    seed: int,
    m: int,
    t: float,
    m_event,
    m_lo,
    m_hi,
    m_mve,
    leg_start,
    leg_market,
    leg_yes,
    e_grid0,
    e_kmax,
    e_depth,
    m_hs,
    m_tick,
    m_rate,
    m_dyn,
    mode,
    m_open,
    m_close,
    yk,
    yv,
):
    """(volume traded up to t, last trade yes price or -1) for market m."""
    if mode == DYN_CALIBRATED:
        return volume_and_last_cal(
            seed, m, t, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0,
            e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, m_open, m_close, yk, yv,
        )  # fmt: skip
    if t < m_open[m]:
        return 0, -1
    t_eff = min(t, float(m_close[m]) - 0.001)
    e = m_event[m]
    g0 = e_grid0[e]
    if t_eff < g0:
        return 0, -1
    depth = e_depth[e]
    j = math.floor((t_eff - g0) / STEP)
    total = root_total(m, depth, m_rate)
    cum, leaf, pj, pcnt = volume_walk(seed, m, depth, total, j)
    sizes = np.empty(4, np.int64)
    times = np.empty(4, np.float64)
    n = leaf_trades(seed, m, j, leaf, g0, sizes, times)
    last_i = -1
    for i in range(n):
        if times[i] <= t_eff:
            cum += sizes[i]
            last_i = i
    if last_i >= 0:
        price, _y = trade_price(
            seed, m, j, last_i, times[last_i], m_event, m_lo, m_hi, m_mve, leg_start,
            leg_market, leg_yes, e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, mode,
            yk, yv,
        )  # fmt: skip
        return cum, price
    if pj < 0:
        return cum, -1
    n = leaf_trades(seed, m, pj, pcnt, g0, sizes, times)
    price, _y = trade_price(
        seed, m, pj, n - 1, times[n - 1], m_event, m_lo, m_hi, m_mve, leg_start, leg_market,
        leg_yes, e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, mode, yk, yv,
    )  # fmt: skip
    return cum, price


@_jit
def status_at(m: int, t: float, m_open, m_close, m_det, m_settle) -> int:
    if t < m_open[m]:
        return ST_INITIALIZED
    if t < m_close[m]:
        return ST_ACTIVE
    if t < m_det[m]:
        return ST_CLOSED
    if t < m_settle[m]:
        return ST_DETERMINED
    return ST_FINALIZED


# Columns of market_rows' output.
C_STATUS = 0
C_BID = 1
C_ASK = 2
C_BSZ = 3
C_ASZ = 4
C_LAST = 5
C_VOL = 6
C_VOL24 = 7
C_OI = 8
C_PBID = 9
C_PASK = 10
C_PLAST = 11
C_RESULT = 12
N_COLS = 13


@_jit
def market_rows(
    idx,
    t,
    seed,
    m_event,
    m_lo,
    m_hi,
    m_mve,
    leg_start,
    leg_market,
    leg_yes,
    e_grid0,
    e_kmax,
    e_depth,
    m_hs,
    m_tick,
    m_rate,
    m_dyn,
    mode,
    m_open,
    m_close,
    m_det,
    m_settle,
    m_oi,
    yk,
    yv,
):
    """Dynamic fields of markets `idx` at time t (one row per market, columns C_*)."""
    out = np.zeros((idx.shape[0], N_COLS), np.int64)
    for r in range(idx.shape[0]):
        m = idx[r]
        st = status_at(m, t, m_open, m_close, m_det, m_settle)
        out[r, C_STATUS] = st
        out[r, C_ASK] = 10000
        out[r, C_LAST] = 0
        if st == ST_INITIALIZED:
            continue
        vol, last = volume_and_last(
            seed, m, t, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0,
            e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, mode, m_open, m_close, yk, yv,
        )  # fmt: skip
        tp = t - 86400.0
        vol24, plast = volume_and_last(
            seed, m, tp, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0,
            e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, mode, m_open, m_close, yk, yv,
        )  # fmt: skip
        out[r, C_VOL] = vol
        out[r, C_VOL24] = vol - vol24
        out[r, C_OI] = int(vol * m_oi[m])
        out[r, C_LAST] = last if last >= 0 else 0
        if st == ST_ACTIVE:
            b, a, bs, az = quote_at(
                seed, m, t, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes,
                e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, mode, yk, yv,
            )  # fmt: skip
            out[r, C_BID] = b
            out[r, C_ASK] = a
            out[r, C_BSZ] = bs
            out[r, C_ASZ] = az
        if m_open[m] <= tp < m_close[m]:
            b, a, _bs, _az = quote_at(
                seed, m, tp, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes,
                e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, mode, yk, yv,
            )  # fmt: skip
            out[r, C_PBID] = b
            out[r, C_PASK] = a
        out[r, C_PLAST] = plast if plast >= 0 else 0
        if st >= ST_DETERMINED:
            pf = p_at(
                seed, m, float(m_close[m]), m_event, m_lo, m_hi, m_mve, leg_start, leg_market,
                leg_yes, e_grid0, e_kmax, e_depth, yk, yv,
            )  # fmt: skip
            out[r, C_RESULT] = 1 if pf >= 0.5 else 2
    return out


@_jit
def _emit_leaf_cal(
    seed, m, lo, n, ex, g0, lo_t, hi_t, m_event, m_lo, m_hi, m_mve, leg_start, leg_market,
    leg_yes, e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, yk, yv, mk, times, counts,
    prices, yes, leafs, slot, n_out, cap,
):  # fmt: skip
    """Calibrated: write step lo's prints inside [lo_t, hi_t] at n_out; returns (new n_out,
    overflowed)."""
    tt, sizes, inst = leaf_prints(seed, m, lo, n, ex, g0)
    for i in range(len(tt)):
        if tt[i] < lo_t or tt[i] > hi_t:
            continue
        if n_out >= cap:
            return n_out, True
        pr, y = trade_price(
            seed, m, lo, inst[i], tt[i], m_event, m_lo, m_hi, m_mve, leg_start, leg_market,
            leg_yes, e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, DYN_CALIBRATED, yk,
            yv,
        )  # fmt: skip
        mk[n_out] = m
        times[n_out] = tt[i]
        counts[n_out] = sizes[i]
        prices[n_out] = pr
        yes[n_out] = y
        leafs[n_out] = lo
        slot[n_out] = i
        n_out += 1
    return n_out, False


@_jit
def _market_trades_cal(
    seed, m, t0, t1, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0, e_kmax,
    e_depth, m_hs, m_tick, m_rate, m_dyn, m_open, m_close, yk, yv, mk, times, counts, prices,
    yes, leafs, slot, n_out, cap, st_lo, st_hi, st_n, st_e,
):  # fmt: skip
    """Calibrated: append market m's prints with t0 <= time <= t1 (ascending) at n_out, depth
    first over its order tree, skipping empty or out-of-range subtrees. Returns (new n_out,
    overflowed)."""
    lo_t = max(t0, float(m_open[m]))
    hi_t = min(t1, float(m_close[m]) - 0.001)
    e = m_event[m]
    g0 = e_grid0[e]
    if hi_t < lo_t or hi_t < g0:
        return n_out, False
    j0 = max(0, math.floor((lo_t - g0) / STEP))
    j1 = math.floor((hi_t - g0) / STEP)
    depth = e_depth[e]
    total = root_total(m, depth, m_rate)
    a0 = active_start(m, e_kmax[e], m_dyn)
    st_lo[0] = 0
    st_hi[0] = 1 << depth
    st_n[0] = total
    st_e[0] = root_excess(seed, m, total, m_dyn[m, D_SIZE])
    sp = 1
    while sp > 0:
        sp -= 1
        lo = st_lo[sp]
        hi = st_hi[sp]
        n = st_n[sp]
        ex = st_e[sp]
        if n <= 0 or hi <= j0 or lo > j1:
            continue
        if hi - lo == 1:
            n_out, over = _emit_leaf_cal(
                seed, m, lo, n, ex, g0, lo_t, hi_t, m_event, m_lo, m_hi, m_mve, leg_start,
                leg_market, leg_yes, e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, yk,
                yv, mk, times, counts, prices, yes, leafs, slot, n_out, cap,
            )  # fmt: skip
            if over:
                return n_out, True
            continue
        mid = (lo + hi) >> 1
        left = split_cal(seed, SALT_P, m, mid, a0, n)
        el = beta_excess(hkey(seed, SALT_G, m, mid), ex, left, n - left, SIZE_SHAPE)
        # Push right first so the left (earlier) half is visited first.
        st_lo[sp] = mid
        st_hi[sp] = hi
        st_n[sp] = n - left
        st_e[sp] = ex - el
        sp += 1
        st_lo[sp] = lo
        st_hi[sp] = mid
        st_n[sp] = left
        st_e[sp] = el
        sp += 1
    return n_out, False


@_jit
def _trades_between_cal(
    seed, m, t0, t1, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0, e_kmax,
    e_depth, m_hs, m_tick, m_rate, m_dyn, m_open, m_close, cap, yk, yv,
):  # fmt: skip
    mk = np.empty(cap, np.int64)
    times = np.empty(cap, np.float64)
    counts = np.empty(cap, np.int64)
    prices = np.empty(cap, np.int64)
    yes = np.empty(cap, np.bool_)
    leafs = np.empty(cap, np.int64)
    slot = np.empty(cap, np.int64)
    st_lo = np.empty(160, np.int64)
    st_hi = np.empty(160, np.int64)
    st_n = np.empty(160, np.int64)
    st_e = np.empty(160, np.int64)
    n_out, _over = _market_trades_cal(
        seed, m, t0, t1, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0,
        e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, m_open, m_close, yk, yv, mk, times, counts,
        prices, yes, leafs, slot, 0, cap, st_lo, st_hi, st_n, st_e,
    )  # fmt: skip
    return (times[:n_out], counts[:n_out], prices[:n_out], yes[:n_out], leafs[:n_out], slot[:n_out])


@_jit
def _trades_multi_cal(
    seed, ms, t0, t1, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0, e_kmax,
    e_depth, m_hs, m_tick, m_rate, m_dyn, m_open, m_close, cap, yk, yv,
):  # fmt: skip
    mk = np.empty(cap, np.int64)
    times = np.empty(cap, np.float64)
    counts = np.empty(cap, np.int64)
    prices = np.empty(cap, np.int64)
    yes = np.empty(cap, np.bool_)
    leafs = np.empty(cap, np.int64)
    slot = np.empty(cap, np.int64)
    n_out = 0
    overflow = False
    st_lo = np.empty(160, np.int64)
    st_hi = np.empty(160, np.int64)
    st_n = np.empty(160, np.int64)
    st_e = np.empty(160, np.int64)
    for r in range(ms.shape[0]):
        n_out, overflow = _market_trades_cal(
            seed, ms[r], t0, t1, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes,
            e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, m_open, m_close, yk, yv, mk,
            times, counts, prices, yes, leafs, slot, n_out, cap, st_lo, st_hi, st_n, st_e,
        )  # fmt: skip
        if overflow:
            break
    return (
        mk[:n_out], times[:n_out], counts[:n_out], prices[:n_out], yes[:n_out], leafs[:n_out],
        slot[:n_out], overflow,
    )  # fmt: skip


@_jit
def trades_between(
    seed,
    m,
    t0,
    t1,
    m_event,
    m_lo,
    m_hi,
    m_mve,
    leg_start,
    leg_market,
    leg_yes,
    e_grid0,
    e_kmax,
    e_depth,
    m_hs,
    m_tick,
    m_rate,
    m_dyn,
    mode,
    m_open,
    m_close,
    cap,
    yk,
    yv,
):
    """Trades of market m with t0 <= time <= t1 (ascending), at most `cap`.

    Returns (times, counts, yes prices, taker-yes flags, leaf ids, index-in-leaf)."""
    if mode == DYN_CALIBRATED:
        return _trades_between_cal(
            seed, m, t0, t1, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0,
            e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, m_open, m_close, cap, yk, yv,
        )  # fmt: skip
    times = np.empty(cap, np.float64)
    counts = np.empty(cap, np.int64)
    prices = np.empty(cap, np.int64)
    yes = np.empty(cap, np.bool_)
    leafs = np.empty(cap, np.int64)
    slot = np.empty(cap, np.int64)
    n_out = 0
    lo_t = max(t0, float(m_open[m]))
    hi_t = min(t1, float(m_close[m]) - 0.001)
    e = m_event[m]
    g0 = e_grid0[e]
    if hi_t < lo_t or hi_t < g0:
        return times[:0], counts[:0], prices[:0], yes[:0], leafs[:0], slot[:0]
    j0 = max(0, math.floor((lo_t - g0) / STEP))
    j1 = math.floor((hi_t - g0) / STEP)
    depth = e_depth[e]
    total = root_total(m, depth, m_rate)
    # Depth-first over the volume tree, skipping empty or out-of-range subtrees.
    st_lo = np.empty(2 * depth + 4, np.int64)
    st_hi = np.empty(2 * depth + 4, np.int64)
    st_n = np.empty(2 * depth + 4, np.int64)
    sp = 0
    st_lo[0] = 0
    st_hi[0] = 1 << depth
    st_n[0] = total
    sp = 1
    sizes = np.empty(4, np.int64)
    tt = np.empty(4, np.float64)
    while sp > 0 and n_out < cap:
        sp -= 1
        lo = st_lo[sp]
        hi = st_hi[sp]
        n = st_n[sp]
        if n <= 0 or hi <= j0 or lo > j1:
            continue
        if hi - lo == 1:
            k = leaf_trades(seed, m, lo, n, g0, sizes, tt)
            for i in range(k):
                if tt[i] < lo_t or tt[i] > hi_t or n_out >= cap:
                    continue
                pr, y = trade_price(
                    seed,
                    m,
                    lo,
                    i,
                    tt[i],
                    m_event,
                    m_lo,
                    m_hi,
                    m_mve,
                    leg_start,
                    leg_market,
                    leg_yes,
                    e_grid0,
                    e_kmax,
                    e_depth,
                    m_hs,
                    m_tick,
                    m_rate,
                    m_dyn,
                    mode,
                    yk,
                    yv,
                )
                times[n_out] = tt[i]
                counts[n_out] = sizes[i]
                prices[n_out] = pr
                yes[n_out] = y
                leafs[n_out] = lo
                slot[n_out] = i
                n_out += 1
            continue
        mid = (lo + hi) >> 1
        left = split(seed, m, mid, n)
        # Push right first so the left (earlier) half is visited first.
        st_lo[sp] = mid
        st_hi[sp] = hi
        st_n[sp] = n - left
        sp += 1
        st_lo[sp] = lo
        st_hi[sp] = mid
        st_n[sp] = left
        sp += 1
    return (times[:n_out], counts[:n_out], prices[:n_out], yes[:n_out], leafs[:n_out], slot[:n_out])


@_jit
def trades_multi(
    seed,
    ms,
    t0,
    t1,
    m_event,
    m_lo,
    m_hi,
    m_mve,
    leg_start,
    leg_market,
    leg_yes,
    e_grid0,
    e_kmax,
    e_depth,
    m_hs,
    m_tick,
    m_rate,
    m_dyn,
    mode,
    m_open,
    m_close,
    cap,
    yk,
    yv,
):
    """All trades of markets `ms` with t0 <= time <= t1, unordered, as flat arrays
    (market, time, count, yes price, taker-yes, leaf, index-in-leaf) plus an overflow flag set
    when more than `cap` trades fall in the window (the caller then narrows it)."""
    if mode == DYN_CALIBRATED:
        return _trades_multi_cal(
            seed, ms, t0, t1, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes,
            e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, m_open, m_close, cap, yk, yv,
        )  # fmt: skip
    mk = np.empty(cap, np.int64)
    times = np.empty(cap, np.float64)
    counts = np.empty(cap, np.int64)
    prices = np.empty(cap, np.int64)
    yes = np.empty(cap, np.bool_)
    leafs = np.empty(cap, np.int64)
    slot = np.empty(cap, np.int64)
    n_out = 0
    overflow = False
    st_lo = np.empty(160, np.int64)
    st_hi = np.empty(160, np.int64)
    st_n = np.empty(160, np.int64)
    sizes = np.empty(4, np.int64)
    tt = np.empty(4, np.float64)
    for r in range(ms.shape[0]):
        if overflow:
            break
        m = ms[r]
        lo_t = max(t0, float(m_open[m]))
        hi_t = min(t1, float(m_close[m]) - 0.001)
        e = m_event[m]
        g0 = e_grid0[e]
        if hi_t < lo_t or hi_t < g0:
            continue
        j0 = max(0, math.floor((lo_t - g0) / STEP))
        j1 = math.floor((hi_t - g0) / STEP)
        depth = e_depth[e]
        st_lo[0] = 0
        st_hi[0] = 1 << depth
        st_n[0] = root_total(m, depth, m_rate)
        sp = 1
        while sp > 0:
            sp -= 1
            lo = st_lo[sp]
            hi = st_hi[sp]
            n = st_n[sp]
            if n <= 0 or hi <= j0 or lo > j1:
                continue
            if hi - lo == 1:
                k = leaf_trades(seed, m, lo, n, g0, sizes, tt)
                for i in range(k):
                    if tt[i] < lo_t or tt[i] > hi_t:
                        continue
                    if n_out >= cap:
                        overflow = True
                        break
                    pr, y = trade_price(
                        seed, m, lo, i, tt[i], m_event, m_lo, m_hi, m_mve, leg_start,
                        leg_market, leg_yes, e_grid0, e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn,
                        mode, yk, yv,
                    )  # fmt: skip
                    mk[n_out] = m
                    times[n_out] = tt[i]
                    counts[n_out] = sizes[i]
                    prices[n_out] = pr
                    yes[n_out] = y
                    leafs[n_out] = lo
                    slot[n_out] = i
                    n_out += 1
                continue
            mid = (lo + hi) >> 1
            left = split(seed, m, mid, n)
            st_lo[sp] = mid
            st_hi[sp] = hi
            st_n[sp] = n - left
            sp += 1
            st_lo[sp] = lo
            st_hi[sp] = mid
            st_n[sp] = left
            sp += 1
    return (
        mk[:n_out], times[:n_out], counts[:n_out], prices[:n_out], yes[:n_out], leafs[:n_out],
        slot[:n_out], overflow,
    )  # fmt: skip


@_jit
def quote_path(
    seed,
    m,
    t0,
    t1,
    m_event,
    m_lo,
    m_hi,
    m_mve,
    leg_start,
    leg_market,
    leg_yes,
    e_grid0,
    e_kmax,
    e_depth,
    m_hs,
    m_tick,
    m_rate,
    m_dyn,
    mode,
    yk,
    yv,
):
    """(open bid, high bid, low bid, close bid, open ask, high ask, low ask, close ask) over
    [t0, t1]: the quote at t0, every grid step inside, and the quote at t1."""
    e = m_event[m]
    g0 = e_grid0[e]
    b, a, _x, _y = quote_at(
        seed, m, t0, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0, e_kmax,
        e_depth, m_hs, m_tick, m_rate, m_dyn, mode, yk, yv,
    )  # fmt: skip
    ob = b
    hb = b
    lb = b
    oa = a
    ha = a
    la = a
    k0 = math.floor((t0 - g0) / STEP) + 1
    k1 = math.floor((t1 - g0) / STEP)
    if k0 < 0:
        k0 = 0
    for k in range(k0, k1 + 1):
        tk = g0 + k * STEP
        b, a, _x, _y = quote_at(
            seed, m, tk, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0,
            e_kmax, e_depth, m_hs, m_tick, m_rate, m_dyn, mode, yk, yv,
        )  # fmt: skip
        hb = max(hb, b)
        lb = min(lb, b)
        ha = max(ha, a)
        la = min(la, a)
    b, a, _x, _y = quote_at(
        seed, m, t1, m_event, m_lo, m_hi, m_mve, leg_start, leg_market, leg_yes, e_grid0, e_kmax,
        e_depth, m_hs, m_tick, m_rate, m_dyn, mode, yk, yv,
    )  # fmt: skip
    hb = max(hb, b)
    lb = min(lb, b)
    ha = max(ha, a)
    la = min(la, a)
    return ob, hb, lb, b, oa, ha, la, a
