"""Trade tapes: every trade of one market, or of many, inside a time window, as arrays.

Depth-first over each market's arrival tree, skipping subtrees that are empty or outside the
window, so a window costs what it holds plus O(log T) per market.
"""

# Kernel arguments are numpy arrays typed by numba at compile time; annotating each one would
# restate the call sites without checking anything.
# mypy: disable-error-code="no-untyped-def"
from __future__ import annotations

import math

import numpy as np

from kalshi_sim.market_paths.arrivals import (
    active_start,
    beta_excess,
    root_excess,
    root_total,
    split,
    split_cal,
)
from kalshi_sim.market_paths.hashing import SALT_G, SALT_P, hkey
from kalshi_sim.market_paths.jit import kernel
from kalshi_sim.market_paths.params import D_SIZE, DYN_CALIBRATED, SIZE_SHAPE, STEP
from kalshi_sim.market_paths.prints import leaf_prints, leaf_trades, trade_price


@kernel
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


@kernel
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


@kernel
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


@kernel
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


@kernel
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


@kernel
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
