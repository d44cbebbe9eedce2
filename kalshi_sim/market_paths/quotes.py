"""Quotes: bid, ask and top sizes on the tick grid around the fair price.

Busy dynamics requote every step (2-8 tick spreads); calibrated quotes are re-derived only at a
step holding a print or a maker revision (`ref_step`) and stand still in between, mostly one
tick wide. The step a quote was derived at also keys the deeper book (`kalshi_sim.model`).
"""

# Kernel arguments are numpy arrays typed by numba at compile time; annotating each one would
# restate the call sites without checking anything.
# mypy: disable-error-code="no-untyped-def"
from __future__ import annotations

import math

import numpy as np

from kalshi_sim.market_paths.arrivals import active_start, count_walk, root_total
from kalshi_sim.market_paths.fair_price import p_at, step_of
from kalshi_sim.market_paths.hashing import C3, SALT_P, SALT_Q, SALT_U, gauss, hkey, mix, unif
from kalshi_sim.market_paths.jit import kernel
from kalshi_sim.market_paths.params import (
    D_BOOK,
    D_UPD,
    D_WIDE,
    DYN_CALIBRATED,
    MAX_SPREAD_TICKS,
    STEP,
)


@kernel
def tick_at(x: float, tapered: bool) -> int:
    if tapered and (x < 1000.0 or x >= 9000.0):
        return 10
    return 100


@kernel
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


@kernel
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
    h2 = mix(hq ^ C3)
    bsz = 0 if bid == 0 else 1 + int(math.exp(book_mu + 1.2 * gauss(h2)))
    asz = 0 if ask == 10000 else 1 + int(math.exp(book_mu + 1.2 * gauss(mix(h2))))
    return bid, ask, bsz, asz


@kernel
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


@kernel
def quote_step(seed, m, t, m_event, e_grid0, e_kmax, e_depth, m_rate, m_dyn, mode) -> int:
    """The step a quote at time t was derived at (it keys the quote's and the book's hashes)."""
    e = m_event[m]
    k = step_of(t, e_grid0[e], e_kmax[e])
    if mode != DYN_CALIBRATED:
        return k
    return ref_step(seed, m, k, e_depth[e], active_start(m, e_kmax[e], m_dyn), m_rate, m_dyn)


@kernel
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


@kernel
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
