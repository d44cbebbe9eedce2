"""Numba kernels of the synthetic price/volume model (hot paths of every market-data request).

Everything is a pure function of (seed, ids, time): Brownian paths are built top-down by dyadic
Brownian-bridge refinement and volumes by recursive binomial splitting of a per-market total, so
the value at any time costs O(log T) hash evaluations and needs no stored history.
Time grid: an event's step k covers [grid0 + 60k, grid0 + 60(k+1)), grid0 = open + phase.
Prices are integers in units of $0.0001; counts are whole contracts.
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

ST_INITIALIZED = 0
ST_ACTIVE = 1
ST_CLOSED = 2
ST_DETERMINED = 3
ST_FINALIZED = 4

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
    yk,
    yv,
):
    p = p_at(
        seed,
        m,
        t,
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
        yk,
        yv,
    )
    e = m_event[m]
    k = step_of(t, e_grid0[e], e_kmax[e])
    return quote_from_p(seed, m, k, p, m_hs[m], m_tick[m] == 1)


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
def root_total(m: int, depth: int, m_rate: np.ndarray) -> int:
    return int(m_rate[m] * (1 << depth) * STEP)


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
    yk,
    yv,
):
    """(yes price, taker bought yes?) of trade i of leaf j at time t: takers cross the spread."""
    bid, ask, _bs, _as = quote_at(
        seed,
        m,
        t,
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
        yk,
        yv,
    )
    yes = trade_side_yes(seed, m, j, i)
    if bid == 0:
        yes = True
    elif ask == 10000:
        yes = False
    return (ask if yes else bid), yes


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
    m_open,
    m_close,
    yk,
    yv,
):
    """(volume traded up to t, last trade yes price or -1) for market m."""
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
            seed,
            m,
            j,
            last_i,
            times[last_i],
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
            yk,
            yv,
        )
        return cum, price
    if pj < 0:
        return cum, -1
    n = leaf_trades(seed, m, pj, pcnt, g0, sizes, times)
    price, _y = trade_price(
        seed,
        m,
        pj,
        n - 1,
        times[n - 1],
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
        yk,
        yv,
    )
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
            seed,
            m,
            t,
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
            m_open,
            m_close,
            yk,
            yv,
        )
        tp = t - 86400.0
        vol24, plast = volume_and_last(
            seed,
            m,
            tp,
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
            m_open,
            m_close,
            yk,
            yv,
        )
        out[r, C_VOL] = vol
        out[r, C_VOL24] = vol - vol24
        out[r, C_OI] = int(vol * m_oi[m])
        out[r, C_LAST] = last if last >= 0 else 0
        if st == ST_ACTIVE:
            b, a, bs, az = quote_at(
                seed,
                m,
                t,
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
                yk,
                yv,
            )
            out[r, C_BID] = b
            out[r, C_ASK] = a
            out[r, C_BSZ] = bs
            out[r, C_ASZ] = az
        if m_open[m] <= tp < m_close[m]:
            b, a, _bs, _az = quote_at(
                seed,
                m,
                tp,
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
                yk,
                yv,
            )
            out[r, C_PBID] = b
            out[r, C_PASK] = a
        out[r, C_PLAST] = plast if plast >= 0 else 0
        if st >= ST_DETERMINED:
            pf = p_at(
                seed,
                m,
                float(m_close[m]),
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
                yk,
                yv,
            )
            out[r, C_RESULT] = 1 if pf >= 0.5 else 2
    return out


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
    m_open,
    m_close,
    cap,
    yk,
    yv,
):
    """Trades of market m with t0 <= time <= t1 (ascending), at most `cap`.

    Returns (times, counts, yes prices, taker-yes flags, leaf ids, index-in-leaf)."""
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
    m_open,
    m_close,
    cap,
    yk,
    yv,
):
    """All trades of markets `ms` with t0 <= time <= t1, unordered, as flat arrays
    (market, time, count, yes price, taker-yes, leaf, index-in-leaf) plus an overflow flag set
    when more than `cap` trades fall in the window (the caller then narrows it)."""
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
                        leg_market, leg_yes, e_grid0, e_kmax, e_depth, m_hs, m_tick, yk, yv,
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
    yk,
    yv,
):
    """(open bid, high bid, low bid, close bid, open ask, high ask, low ask, close ask) over
    [t0, t1]: the quote at t0, every grid step inside, and the quote at t1."""
    e = m_event[m]
    g0 = e_grid0[e]
    b, a, _x, _y = quote_at(
        seed,
        m,
        t0,
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
        yk,
        yv,
    )
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
            seed,
            m,
            tk,
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
            yk,
            yv,
        )
        hb = max(hb, b)
        lb = min(lb, b)
        ha = max(ha, a)
        la = min(la, a)
    b, a, _x, _y = quote_at(
        seed,
        m,
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
        yk,
        yv,
    )
    hb = max(hb, b)
    lb = min(lb, b)
    ha = max(ha, a)
    la = min(la, a)
    return ob, hb, lb, b, oa, ha, la, a
