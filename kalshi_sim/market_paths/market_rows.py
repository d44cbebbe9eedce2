"""Market rows: the dynamic fields of many markets at one time, the hot path of /markets.

One row per market (columns `C_*`): lifecycle status (`ST_*`), quote and sizes, last price,
volume, 24-hour volume, open interest, the quote and last price a day earlier, and the result
once determined. `kalshi_sim.render` turns rows into JSON.
"""

# Kernel arguments are numpy arrays typed by numba at compile time; annotating each one would
# restate the call sites without checking anything.
# mypy: disable-error-code="no-untyped-def"
from __future__ import annotations

import numpy as np

from kalshi_sim.market_paths.fair_price import p_at
from kalshi_sim.market_paths.jit import kernel
from kalshi_sim.market_paths.prints import volume_and_last
from kalshi_sim.market_paths.quotes import quote_at

ST_INITIALIZED = 0
ST_ACTIVE = 1
ST_CLOSED = 2
ST_DETERMINED = 3
ST_FINALIZED = 4


@kernel
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


@kernel
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
