"""Prints: the trades of one step, their price and side, and the volume up to a time.

A step's count (its leaf of the arrival tree) becomes up to 4 trades at increasing times (busy),
or its taker orders' prints, several at one instant when an order fills several makers
(calibrated). A taker crosses the spread: it pays the ask (YES) or sells at the bid (NO).
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
    print_walk,
    root_excess,
    root_total,
    volume_walk,
)
from kalshi_sim.market_paths.hashing import C2, C3, C4, SALT_G, SALT_I, SALT_T, hkey, mix, unif
from kalshi_sim.market_paths.jit import kernel
from kalshi_sim.market_paths.params import (
    D_SIZE,
    DYN_CALIBRATED,
    FILL_SHAPE,
    INSTANT_GAP_S,
    SIZE_SHAPE,
    STEP,
    SWEEP,
    SWEEP_MORE,
)
from kalshi_sim.market_paths.quotes import quote_at


@kernel
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


@kernel
def trade_side_yes(seed: int, m: int, j: int, i: int) -> bool:
    return unif(hkey(seed, SALT_T + 100, m, j * 8 + i)) < 0.5


@kernel
def taker_yes_cal(seed: int, m: int, j: int, inst: int) -> bool:
    """Calibrated: the taker side of order `inst` of step j (shared by all its prints)."""
    return unif(mix(hkey(seed, SALT_T + 200, m, j) + np.uint64(inst))) < 0.5


@kernel
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
    hg = hb ^ C2
    gaps = 0.0
    for i in range(1, c):
        gaps += -math.log(1.0 - unif(mix(hg + np.uint64(i)))) * INSTANT_GAP_S
    room = STEP - 2.0
    scale = 1.0
    if gaps > 0.9 * room:
        scale = 0.9 * room / gaps
    cur = grid0 + j * STEP + unif(mix(hb ^ C3)) * (room - gaps * scale)
    p = 0
    for i in range(c):
        if i > 0:
            cur += scale * -math.log(1.0 - unif(mix(hg + np.uint64(i)))) * INSTANT_GAP_S
        t = math.floor(cur * 1000.0) / 1000.0
        hp = mix(hk ^ C4) + np.uint64(64 * i)
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


@kernel
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


@kernel
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


@kernel
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
