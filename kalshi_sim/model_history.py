"""Trades and candlesticks of a `kalshi_sim.model_exchange.ModelExchange`.

Trades are read from the model newest first over time windows (one numba call per window for
all candidate markets); candles aggregate the model's quotes (bid/ask OHLC), trades (price OHLC,
volume-weighted mean, volume) and open interest per period.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from kalshi_sim.handlers.params import MAX_CANDLES, decode_cursor, encode_cursor, int_param
from kalshi_sim.handlers.responses import bad_request
from kalshi_sim.market_paths.hashing import hkey, mix
from kalshi_sim.render import DOLLARS

if TYPE_CHECKING:
    from kalshi_sim.model_exchange import ModelExchange


def _trade_id(seed: int, m: int, leaf: int, slot: int) -> str:
    # Busy steps hold at most 4 trades (slot < 8: the original ids); a calibrated step can
    # hold many prints, whose ids come from a second key space.
    if slot < 8:
        h1 = int(hkey(seed, 77, m, leaf * 8 + slot))
    else:
        h1 = int(hkey(seed, 78, m, (leaf << 24) + slot))
    h2 = int(mix(np.uint64(h1)))
    return str(uuid.UUID(int=(h1 << 64) | h2, version=4))


def _iso_ms(ts: float) -> str:
    d = datetime.fromtimestamp(ts, UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond:06d}Z"


def _trade_obj(
    state: ModelExchange, m: int, ts: float, count: int, price: int, yes: bool, leaf: int, slot: int
) -> dict[str, Any]:
    side = "yes" if yes else "no"
    obj: dict[str, Any] = {
        "trade_id": _trade_id(int(state.u.seed), m, leaf, slot),
        "ticker": state.u.m_ticker[m],
        "created_time": _iso_ms(ts),
        "taker_side": side,
        "yes_price_dollars": DOLLARS[price],
        "no_price_dollars": DOLLARS[10000 - price],
    }
    if state.legacy:
        obj.update({"count": count, "yes_price": price // 100, "no_price": (10000 - price) // 100})
    else:
        obj.update(
            {
                "count_fp": f"{count}.00",
                "taker_outcome_side": side,
                "taker_book_side": "bid" if yes else "ask",
                "is_block_trade": False,
            }
        )
    return obj


_WINDOW_CAP = 100_000


def collect_trades(
    state: ModelExchange, q: dict[str, str], t: float, *, historical: bool, limit: int
) -> tuple[list[dict[str, Any]], str]:
    """Trades newest first; the cursor is the (time, market, leaf, slot) key of the last trade
    returned, so pages stay stable while new trades arrive.

    Time windows are scanned backwards from max_ts (or now, or the historical cutoff): each
    window's trades over all candidate markets come from one numba call; a window holding more
    than _WINDOW_CAP trades is narrowed, one holding too few makes the next one wider."""
    u = state.u
    min_ts = int_param(q, "min_ts")
    max_ts = int_param(q, "max_ts")
    cutoff = state.cutoff(t)
    upper = min(t, float(max_ts)) if max_ts is not None else t
    if historical:
        upper = min(upper, float(cutoff))
    lower = float(min_ts) if min_ts is not None else -math.inf
    cur = decode_cursor(q.get("cursor", ""), "t", 4)
    last_key: tuple[float, int, int, int] | None = None
    if cur is not None:
        last_key = (cur[0], int(cur[1]), int(cur[2]), int(cur[3]))
        upper = min(upper, cur[0])
    ticker = q.get("ticker")
    if ticker:
        m0 = u.ticker_index.get(ticker)
        markets = np.asarray([] if m0 is None else [m0], np.int64)
    else:
        markets = np.arange(u.n_markets)
    settled_before = u.m_settle[markets] < cutoff
    markets = markets[settled_before] if historical else markets[~settled_before]
    if not len(markets):
        return [], ""
    earliest = max(lower, float(u.m_open[markets].min()))
    window = 86400.0 if ticker else 10.0
    hi = upper
    below = math.inf  # times >= below were covered by the previous (later) window
    picked: list[tuple[float, int, int, int, int, int, bool]] = []
    while len(picked) < limit and hi >= earliest:
        lo = max(hi - window, lower)
        alive = markets[(u.m_open[markets] <= hi) & (u.m_close[markets] >= lo)]
        batch = state.model.trades_window(alive, lo, hi, _WINDOW_CAP)
        if batch.overflow and hi - lo > 1e-3:
            window = (hi - lo) / 8
            continue
        order = np.lexsort((-batch.slot, -batch.leaf, -batch.markets, -batch.times))
        for i in order.tolist():
            key = (float(batch.times[i]), int(batch.markets[i]), int(batch.leaf[i]),
                   int(batch.slot[i]))  # fmt: skip
            if key[0] >= below or (last_key is not None and key >= last_key):
                continue
            picked.append((*key, int(batch.counts[i]), int(batch.prices[i]),
                           bool(batch.taker_yes[i])))  # fmt: skip
            if len(picked) >= limit:
                break
        if lo <= lower:
            break
        below = lo
        hi = lo
        if len(batch.times) < limit:
            window = min(window * 8, 86400.0 * 30)
    items = [
        _trade_obj(state, m, ts, count, price, yes, leaf, slot)
        for ts, m, leaf, slot, count, price, yes in picked
    ]
    cursor = ""
    if len(picked) >= limit:
        a = picked[-1]
        cursor = encode_cursor("t", a[0], a[1], a[2], a[3])
    return items, cursor


def candles(
    state: ModelExchange, m: int, start: int, end: int, period: int, t: float, *, style: str
) -> list[dict[str, Any]]:
    """Candles of market m ending in [start, end] while it traded.

    style: "current", "legacy" or "historical" (the key names of each format)."""
    u = state.u
    p = period * 60
    o, c = int(u.m_open[m]), int(u.m_close[m])
    end = min(end, int(t))
    first = max(start, o + 1)
    first_end = -(-first // p) * p
    last_end = min(end, -(-c // p) * p)
    if last_end < first_end:
        return []
    n = (last_end - first_end) // p + 1
    if n > MAX_CANDLES:
        raise bad_request(f"too many candlesticks requested ({n} > {MAX_CANDLES})")
    model = state.model
    _vol0, prev_last = model.volume_last(m, float(first_end - p))
    prev: int | None = prev_last if prev_last >= 0 else None
    out: list[dict[str, Any]] = []
    for i in range(n):
        ce = first_end + i * p
        t0 = max(float(ce - p), float(o))
        t1 = min(float(ce), float(c) - 0.001, t)
        ob, hb, lb, cb, oa, ha, la, ca = model.quote_ohlc(m, t0, t1)
        tr = model.trades(m, float(ce - p) + 1e-9, float(ce))
        vol = int(tr.counts.sum())
        oi = model.open_interest(m, min(float(ce), t))
        if vol:
            prices = tr.prices
            tp: dict[str, int | None] = {
                "open": int(prices[0]),
                "high": int(prices.max()),
                "low": int(prices.min()),
                "close": int(prices[-1]),
                "mean": round(float((prices * tr.counts).sum()) / vol),
            }
        else:
            tp = dict.fromkeys(("open", "high", "low", "close", "mean"))
        out.append(_candle_obj(ce, (ob, lb, hb, cb), (oa, la, ha, ca), tp, prev, vol, oi, style))
        if vol:
            prev = int(tr.prices[-1])
    return out


def _candle_obj(
    end_ts: int,
    bid: tuple[int, ...],
    ask: tuple[int, ...],
    tp: dict[str, int | None],
    prev: int | None,
    vol: int,
    oi: int,
    style: str,
) -> dict[str, Any]:
    names = ("open", "low", "high", "close")
    d = DOLLARS

    def opt(v: int | None) -> str | None:
        return None if v is None else d[v]

    if style == "historical":
        return {
            "end_period_ts": end_ts,
            "yes_bid": {k: d[v] for k, v in zip(names, bid, strict=True)},
            "yes_ask": {k: d[v] for k, v in zip(names, ask, strict=True)},
            "price": {
                **{k: opt(tp[k]) for k in ("open", "low", "high", "close", "mean")},
                "previous": opt(prev),
            },
            "volume": f"{vol}.00",
            "open_interest": f"{oi}.00",
        }
    price = {f"{k}_dollars": opt(tp[k]) for k in ("open", "low", "high", "close", "mean")}
    price["previous_dollars"] = opt(prev)
    price["min_dollars"] = opt(tp["low"])
    price["max_dollars"] = opt(tp["high"])
    if style == "legacy":
        legacy_price: dict[str, Any] = {}
        for k in ("open", "low", "high", "close", "mean", "previous", "min", "max"):
            v = price[f"{k}_dollars"]
            legacy_price[k] = None if v is None else round(float(v) * 100)
            legacy_price[f"{k}_dollars"] = v
        return {
            "end_period_ts": end_ts,
            "yes_bid": {
                **{k: v // 100 for k, v in zip(names, bid, strict=True)},
                **{f"{k}_dollars": d[v] for k, v in zip(names, bid, strict=True)},
            },
            "yes_ask": {
                **{k: v // 100 for k, v in zip(names, ask, strict=True)},
                **{f"{k}_dollars": d[v] for k, v in zip(names, ask, strict=True)},
            },
            "price": legacy_price,
            "volume": vol,
            "open_interest": oi,
        }
    return {
        "end_period_ts": end_ts,
        "yes_bid": {f"{k}_dollars": d[v] for k, v in zip(names, bid, strict=True)},
        "yes_ask": {f"{k}_dollars": d[v] for k, v in zip(names, ask, strict=True)},
        "price": price,
        "volume_fp": f"{vol}.00",
        "open_interest_fp": f"{oi}.00",
    }
