"""Numba kernels of the vectorised engine: exact fees and the fill engine.

All money here is integer: prices in $0.0001 (`PRICE_SCALE`), contracts in 0.01
(`COUNT_SCALE`), cash in $0.000001 (price unit x count unit), fees in cents. That makes the
kernel's PnL identical to the Decimal reference simulator's, not merely close.

Fill rules (the reference simulator implements the same ones independently). "bid" and "ask"
are the quotes' fill view (`QuoteArrays.fill_*`): the book, or on a trade tape the bar's first
NO-/YES-taker print and its size (NaN without one: nothing fills there).

- per market, at most one order per bar; a bar is tradable while ``t < close_idx`` and
  ``t < settle_idx``;
- a signal of bar s places an order executable from bar ``s + delay``; it stays live through
  bar ``s + delay + max_wait`` (a newer signal renews it) and fills at the first live bar that
  can fill it; an entry order is then done (its unfilled rest is cancelled: one entry fill per
  position), an exit order keeps selling while it lives and the position is open;
- holding: an exit fires on a live exit order, else on the trailing stop (bid <= highest bid
  since entry - trail, from the bar after entry), else on the time limit (held >= max_hold bars);
  it sells ``min(position, bid size)`` at the bid, only on a live bid (bid > 0, size > 0);
  entry signals are ignored (no pyramiding);
- flat: a live entry order buys ``min(contracts, ask size)`` at the ask, only on a live ask
  (0 < ask < 1, size > 0); exit signals are ignored;
- at ``settle_idx`` an open position is paid ``payout`` per contract (void: its entry price),
  fee-free; afterwards nothing trades;
- at the end of the window an open position settles by result if the result is known and
  ``settle_beyond`` (the full run), else it is marked at the last observed bid (end_of_data),
  fee-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from kalshi_core.backtest.fees import PRICE_SCALE

# Order record columns.
O_BAR, O_MARKET, O_COUNT, O_PRICE, O_FEE, O_REASON = 0, 1, 2, 3, 4, 5
ORDER_FIELDS = 6

# Order reasons (the exit reasons of `BacktestTrade`, plus the entry).
R_ENTRY, R_SIGNAL, R_STOP, R_TIMEOUT, R_SETTLEMENT, R_VOID, R_END = 0, 1, 2, 3, 4, 5, 6
REASON_NAMES = ("entry", "signal", "stop", "timeout", "settlement", "void", "end_of_data")

# Result kinds per market.
K_OPEN, K_PAYOUT, K_VOID = 0, 1, 2

NO_INDEX = np.int64(2**62)  # "never" for settle/close indices
UNCAPPED = np.int64(2**62)  # top-of-book size unknown (candles) and not capped
STALE = -1  # price/size unit value of a missing or stale quote

_E7 = 10**7
_E14 = 10**14


@njit(cache=True)
def fee_cents_nb(coef_u: Any, count_u: Any, price_u: Any) -> Any:
    """Fee in cents of a one-fill order: ceil(ceil_1e-4(M*rate*C*P*(1-P)) to the cent).

    ``coef_u * count_u * P(1-P)`` overflows int64 for large orders, so the product is
    split around 1e7 and divided by 1e14 (1e-18 -> $0.0001) exactly.
    """
    if coef_u == 0 or count_u == 0:
        return 0
    pp = price_u * (PRICE_SCALE - price_u)
    a = coef_u * pp
    a1 = a // _E7
    a0 = a % _E7
    u = a1 * count_u
    uq = u // _E7
    ur = u % _E7
    s = ur * _E7 + a0 * count_u
    centicents = uq + s // _E14
    if s % _E14 != 0:
        centicents += 1
    return (centicents + 99) // 100


@njit(cache=True)
def simulate_nb(
    bid_u: Any,
    ask_u: Any,
    bid_sz_u: Any,
    ask_sz_u: Any,
    mark_u: Any,
    entries: Any,
    exits: Any,
    delay: int,
    max_wait: int,
    t0: int,
    t1: int,
    contracts_u: int,
    max_hold: int,
    trail_u: int,
    close_idx: Any,
    settle_idx: Any,
    result_kind: Any,
    payout_u: Any,
    fee_coef_u: Any,
    fee_free_idx: Any,
    settle_beyond: bool,
    sample_idx: Any,
    out_orders: Any,
    out_equity: Any,
) -> Any:
    """Run the fill rules over bars [t0, t1); returns (orders written, final PnL in 1e-6 $).

    The signals of bar ``t - delay`` become executable at bar t (a signal seen at t fills
    later) and stay live for `max_wait` more bars; bid/ask arrays are the fill view.

    ``out_equity[k]`` receives the PnL (1e-6 $) after bar ``sample_idx[k]`` (sorted, within
    [t0, t1)); the last sample also takes the end-of-window settlements and marks, so it
    equals the final PnL when ``sample_idx[-1] == t1 - 1``. Returns -1 orders on overflow.
    """
    n_markets = bid_u.shape[1]
    pos = np.zeros(n_markets, dtype=np.int64)
    entry_bar = np.zeros(n_markets, dtype=np.int64)
    entry_px = np.zeros(n_markets, dtype=np.int64)
    hwm = np.zeros(n_markets, dtype=np.int64)
    # Last bar at which each market's pending entry / exit order is live (-1: none).
    entry_until = np.full(n_markets, -1, dtype=np.int64)
    exit_until = np.full(n_markets, -1, dtype=np.int64)
    cash = np.int64(0)
    n_orders = 0
    max_orders = out_orders.shape[0]
    n_samples = sample_idx.shape[0]
    k = 0
    while k < n_samples and sample_idx[k] < t0:
        k += 1
    for t in range(t0, t1):
        sig_t = t - delay
        for m in range(n_markets):
            s_idx = settle_idx[m]
            if t == s_idx:
                if pos[m] > 0:
                    if n_orders >= max_orders:
                        return -1, cash
                    if result_kind[m] == K_VOID:
                        px = entry_px[m]
                        reason = R_VOID
                    else:
                        px = payout_u[m]
                        reason = R_SETTLEMENT
                    cash += px * pos[m]
                    out_orders[n_orders, O_BAR] = t
                    out_orders[n_orders, O_MARKET] = m
                    out_orders[n_orders, O_COUNT] = -pos[m]
                    out_orders[n_orders, O_PRICE] = px
                    out_orders[n_orders, O_FEE] = 0
                    out_orders[n_orders, O_REASON] = reason
                    n_orders += 1
                    pos[m] = 0
                continue
            if t > s_idx or t >= close_idx[m]:
                continue
            if pos[m] > 0:
                b = np.int64(bid_u[t, m])
                if b > hwm[m]:
                    hwm[m] = b
                if sig_t >= 0 and exits[sig_t, m]:
                    exit_until[m] = t + max_wait
                reason = -1
                if exit_until[m] >= t:
                    reason = R_SIGNAL
                elif trail_u > 0 and t > entry_bar[m] and b > 0 and b <= hwm[m] - trail_u:
                    reason = R_STOP
                elif max_hold > 0 and t - entry_bar[m] >= max_hold:
                    reason = R_TIMEOUT
                bs = bid_sz_u[t, m]
                if reason >= 0 and b > 0 and bs > 0:
                    q = pos[m] if pos[m] < bs else bs
                    fee = 0
                    if t >= fee_free_idx[m]:
                        fee = fee_cents_nb(fee_coef_u[m], q, b)
                    if n_orders >= max_orders:
                        return -1, cash
                    cash += b * q - fee * 10_000
                    out_orders[n_orders, O_BAR] = t
                    out_orders[n_orders, O_MARKET] = m
                    out_orders[n_orders, O_COUNT] = -q
                    out_orders[n_orders, O_PRICE] = b
                    out_orders[n_orders, O_FEE] = fee
                    out_orders[n_orders, O_REASON] = reason
                    n_orders += 1
                    pos[m] -= q
                    if pos[m] == 0:
                        exit_until[m] = -1
            else:
                if sig_t >= 0 and entries[sig_t, m]:
                    entry_until[m] = t + max_wait
                a = np.int64(ask_u[t, m])
                asz = ask_sz_u[t, m]
                if entry_until[m] >= t and a > 0 and a < PRICE_SCALE and asz > 0:
                    q = contracts_u if contracts_u < asz else asz
                    fee = 0
                    if t >= fee_free_idx[m]:
                        fee = fee_cents_nb(fee_coef_u[m], q, a)
                    if n_orders >= max_orders:
                        return -1, cash
                    cash -= a * q + fee * 10_000
                    out_orders[n_orders, O_BAR] = t
                    out_orders[n_orders, O_MARKET] = m
                    out_orders[n_orders, O_COUNT] = q
                    out_orders[n_orders, O_PRICE] = a
                    out_orders[n_orders, O_FEE] = fee
                    out_orders[n_orders, O_REASON] = R_ENTRY
                    n_orders += 1
                    pos[m] = q
                    entry_until[m] = -1
                    entry_bar[m] = t
                    entry_px[m] = a
                    b = np.int64(bid_u[t, m])
                    hwm[m] = b if b > 0 else 0
        if k < n_samples and sample_idx[k] == t:
            value = cash
            for m in range(n_markets):
                if pos[m] > 0:
                    mk = np.int64(mark_u[t, m])
                    if mk > 0:
                        value += pos[m] * mk
            out_equity[k] = value
            k += 1
    # End of window: settle by a known result (full run) or mark at the last observed bid.
    for m in range(n_markets):
        if pos[m] <= 0:
            continue
        if n_orders >= max_orders:
            return -1, cash
        if settle_beyond and result_kind[m] != K_OPEN:
            if result_kind[m] == K_VOID:
                px = entry_px[m]
                reason = R_VOID
            else:
                px = payout_u[m]
                reason = R_SETTLEMENT
        else:
            px = np.int64(mark_u[t1 - 1, m]) if t1 > 0 else np.int64(0)
            if px < 0:
                px = np.int64(0)
            reason = R_END
        cash += px * pos[m]
        out_orders[n_orders, O_BAR] = t1
        out_orders[n_orders, O_MARKET] = m
        out_orders[n_orders, O_COUNT] = -pos[m]
        out_orders[n_orders, O_PRICE] = px
        out_orders[n_orders, O_FEE] = 0
        out_orders[n_orders, O_REASON] = reason
        n_orders += 1
        pos[m] = 0
    if k > 0 and sample_idx[k - 1] == t1 - 1:
        out_equity[k - 1] = cash
    return n_orders, cash
