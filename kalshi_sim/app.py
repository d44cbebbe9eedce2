"""The simulator's HTTP API: Kalshi Trade API v2 market-data endpoints under /trade-api/v2.

`create_app(config)` builds the universe (or loads a replay), the clock, limiter and faults,
and returns a Starlette app. Admin endpoints live under /_sim (faults, counters, clock).
"""

from __future__ import annotations

import base64
import binascii
import math
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from kalshi_core.logs import get_logger
from kalshi_sim import kernels as kn
from kalshi_sim.clock import SimClock
from kalshi_sim.config import SimConfig
from kalshi_sim.faults import FaultMiddleware, FaultState
from kalshi_sim.model import SyntheticModel, TradeBatch, Trades
from kalshi_sim.render import (
    DOLLARS,
    QUERY_STATUS,
    event_fragment,
    join_array,
    market_fragments,
    markets_array,
)
from kalshi_sim.universe import Universe, rfc3339
from kalshi_sim.universe_cache import cached_universe

log = get_logger(__name__)
I64 = npt.NDArray[np.int64]
PREFIX = "/trade-api/v2"
MAX_CANDLES = 5000


class Model(Protocol):
    """What the routes need from a price model (synthetic or replay)."""

    u: Universe

    def rows(self, idx: I64, t: float) -> I64: ...
    def quote(self, m: int, t: float) -> tuple[int, int, int, int]: ...
    def trades(self, m: int, t0: float, t1: float, cap: int = ...) -> Trades: ...
    def trades_window(self, ms: I64, t0: float, t1: float, cap: int = ...) -> TradeBatch: ...
    def volume_last(self, m: int, t: float) -> tuple[int, int]: ...
    def open_interest(self, m: int, t: float) -> int: ...
    def quote_ohlc(self, m: int, t0: float, t1: float) -> tuple[int, ...]: ...
    def book_levels(
        self, m: int, t: float, depth: int
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]: ...


class ApiError(Exception):
    """An error answered with Kalshi's error body."""

    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def bad_request(details: str) -> ApiError:
    return ApiError(400, "bad_request", "bad request", details)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", "not found", what)


class SimState:
    """Everything a request handler reads: config, universe, model, clock, faults."""

    def __init__(self, cfg: SimConfig, model: Model, clock: SimClock, faults: FaultState) -> None:
        self.cfg = cfg
        self.model = model
        self.u = model.u
        self.clock = clock
        self.faults = faults
        self.legacy = cfg.legacy_format

    def cutoff(self, now: float) -> int:
        """Historical cutoff: markets settled before it are only served by /historical/*."""
        day = 86400
        return int((now - self.cfg.historical_days * day) // 3600 * 3600)


# ----------------------------------------------------------------------------------------------
# parameter parsing


def _int(
    q: dict[str, str],
    name: str,
    default: int | None = None,
    *,
    lo: int | None = None,
    hi: int | None = None,
) -> int | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return default
    try:
        v = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise bad_request(f"{name} must be between {lo} and {hi}")
    return v


def _bool(q: dict[str, str], name: str) -> bool:
    raw = q.get(name, "").lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise bad_request(f"{name} must be true or false")


def _limit(q: dict[str, str], default: int = 100, hi: int = 1000) -> int:
    v = _int(q, "limit", default, lo=0, hi=hi)
    assert v is not None
    return v or default


def encode_cursor(kind: str, *parts: int | float) -> str:
    raw = kind + ":" + ":".join(repr(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, n: int) -> list[float] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        head, *rest = raw.split(":")
        if head != kind or len(rest) != n:
            raise ValueError
        return [float(x) for x in rest]
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_request("invalid cursor") from None


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


# ----------------------------------------------------------------------------------------------
# market selection


def _status_codes(q: dict[str, str]) -> set[int] | None:
    raw = q.get("status", "")
    if not raw:
        return None
    codes: set[int] = set()
    for part in raw.split(","):
        part = part.strip()
        if part not in QUERY_STATUS:
            raise bad_request("status must be one of unopened, open, paused, closed, settled")
        codes.update(QUERY_STATUS[part])
    return codes


def _status_vec(u: Universe, idx: I64, t: float) -> I64:
    st = np.zeros(len(idx), np.int64)
    st += (u.m_open[idx] <= t).astype(np.int64)
    st += (u.m_close[idx] <= t).astype(np.int64)
    st += (u.m_determined[idx] <= t).astype(np.int64)
    st += (u.m_settle[idx] <= t).astype(np.int64)
    return st


def select_markets(
    state: SimState, q: dict[str, str], t: float, *, historical: bool, limit: int
) -> tuple[list[int], str]:
    """Apply Kalshi's /markets filters and cursor pagination; returns (rows, next cursor)."""
    u = state.u
    mve = q.get("mve_filter", "")
    if mve not in ("", "only", "exclude"):
        raise bad_request("mve_filter must be 'only' or 'exclude'")
    cand: I64 | None = None
    if q.get("tickers"):
        names = [x.strip() for x in q["tickers"].split(",") if x.strip()]
        cand = np.asarray(
            sorted({u.ticker_index[n] for n in names if n in u.ticker_index}), np.int64
        )
    if q.get("event_ticker"):
        ev = q["event_ticker"]
        if "," in ev:
            raise bad_request("event_ticker accepts a single event ticker")
        e = u.event_index.get(ev)
        sel = np.arange(u.e_first[e], u.e_last[e]) if e is not None else np.zeros(0, np.int64)
        cand = sel if cand is None else np.intersect1d(cand, sel)
    if q.get("series_ticker"):
        s = u.series_index.get(q["series_ticker"])
        sel = u.series_markets[s] if s is not None else np.zeros(0, np.int64)
        cand = sel if cand is None else np.intersect1d(cand, sel)
    statuses = None if historical else _status_codes(q)
    bounds = {
        name: _int(q, name)
        for name in (
            "min_close_ts",
            "max_close_ts",
            "min_created_ts",
            "max_created_ts",
            "min_settled_ts",
            "max_settled_ts",
        )
    }
    settled_filter = bounds["min_settled_ts"] is not None or bounds["max_settled_ts"] is not None
    cutoff = state.cutoff(t)
    total = u.n_markets if cand is None else len(cand)
    pos_list = decode_cursor(q.get("cursor", ""), "h" if historical else "m", 1)
    pos = int(pos_list[0]) if pos_list else 0
    taken: list[int] = []
    chunk = max(limit * 2, 256)
    while pos < total and len(taken) < limit:
        end = min(total, pos + chunk)
        idx = np.arange(pos, end) if cand is None else cand[pos:end]
        mask = np.ones(len(idx), np.bool_)
        settled_before_cutoff = u.m_settle[idx] < cutoff
        mask &= settled_before_cutoff if historical else ~settled_before_cutoff
        if mve == "only":
            mask &= u.m_is_mve[idx]
        elif mve == "exclude":
            mask &= ~u.m_is_mve[idx]
        if statuses is not None:
            mask &= np.isin(_status_vec(u, idx, t), list(statuses))
        for name, arr in (("close", u.m_close), ("created", u.m_created), ("settled", u.m_settle)):
            lo_v, hi_v = bounds[f"min_{name}_ts"], bounds[f"max_{name}_ts"]
            if lo_v is not None:
                mask &= arr[idx] > lo_v
            if hi_v is not None:
                mask &= arr[idx] < hi_v
        if settled_filter:
            # Settlement-time filters only match markets that have actually settled by now.
            mask &= u.m_settle[idx] <= t
        hits = np.flatnonzero(mask)
        need = limit - len(taken)
        if len(hits) > need:
            hits = hits[:need]
            taken.extend(idx[hits].tolist())
            pos = pos + int(hits[-1]) + 1
            break
        taken.extend(idx[hits].tolist())
        pos = end
        chunk = min(chunk * 2, 65536)
    cursor = encode_cursor("h" if historical else "m", pos) if pos < total else ""
    return taken, cursor


def render_markets_array(state: SimState, idx: Sequence[int], t: float) -> bytes:
    """A JSON array of markets (the fast path used by the list endpoints)."""
    arr = np.asarray(idx, np.int64)
    rows = state.model.rows(arr, t) if len(arr) else np.zeros((0, kn.N_COLS), np.int64)
    return markets_array(state.u, idx, rows, t, state.legacy)


def render_markets(state: SimState, idx: Sequence[int], t: float) -> list[bytes]:
    arr = np.asarray(idx, np.int64)
    rows = state.model.rows(arr, t) if len(arr) else np.zeros((0, kn.N_COLS), np.int64)
    return market_fragments(state.u, idx, rows, t, state.legacy)


# ----------------------------------------------------------------------------------------------
# handlers


def _q(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _market_index(state: SimState, ticker: str, t: float, *, historical: bool) -> int:
    m = state.u.ticker_index.get(ticker)
    if m is None:
        raise not_found(f"market {ticker} not found")
    is_hist = bool(state.u.m_settle[m] < state.cutoff(t))
    if is_hist != historical:
        raise not_found(f"market {ticker} is " + ("not " if not is_hist else "") + "historical")
    return m


# Handlers that compute (pages, trades, candles) are plain functions: Starlette runs them in its
# thread pool, and the numba kernels release the GIL, so a slow trades or candles request does
# not stall the /markets pages a poller is reading.


def get_markets(request: Request) -> Response:
    state: SimState = request.app.state.sim
    q = _q(request)
    t = state.clock.now()
    idx, cursor = select_markets(state, q, t, historical=False, limit=_limit(q))
    body = (
        b'{"markets":'
        + render_markets_array(state, idx, t)
        + b',"cursor":'
        + orjson.dumps(cursor)
        + b"}"
    )
    return _json(body)


def get_historical_markets(request: Request) -> Response:
    state: SimState = request.app.state.sim
    q = _q(request)
    t = state.clock.now()
    idx, cursor = select_markets(state, q, t, historical=True, limit=_limit(q))
    body = (
        b'{"markets":'
        + render_markets_array(state, idx, t)
        + b',"cursor":'
        + orjson.dumps(cursor)
        + b"}"
    )
    return _json(body)


async def get_market(request: Request) -> Response:
    state: SimState = request.app.state.sim
    t = state.clock.now()
    m = _market_index(state, request.path_params["ticker"], t, historical=False)
    return _json(b'{"market":' + render_markets(state, [m], t)[0] + b"}")


async def get_historical_market(request: Request) -> Response:
    state: SimState = request.app.state.sim
    t = state.clock.now()
    m = _market_index(state, request.path_params["ticker"], t, historical=True)
    return _json(b'{"market":' + render_markets(state, [m], t)[0] + b"}")


def _event_status_ok(state: SimState, e: int, codes: set[int] | None, t: float) -> bool:
    if codes is None:
        return True
    m = int(state.u.e_first[e])
    if m >= int(state.u.e_last[e]):
        return False
    return int(_status_vec(state.u, np.asarray([m]), t)[0]) in codes


def get_events(request: Request) -> Response:
    state: SimState = request.app.state.sim
    u = state.u
    q = _q(request)
    t = state.clock.now()
    limit = _limit(q, 200, 200)
    nested = _bool(q, "with_nested_markets")
    codes = _status_codes(q)
    min_close = _int(q, "min_close_ts")
    cand: I64
    if q.get("series_ticker"):
        s = u.series_index.get(q["series_ticker"])
        cand = u.series_events[s] if s is not None else np.zeros(0, np.int64)
    else:
        cand = np.flatnonzero(~u.e_is_mve)
    if q.get("tickers"):
        wanted = {u.event_index[x] for x in q["tickers"].split(",") if x in u.event_index}
        cand = np.asarray([e for e in cand.tolist() if e in wanted], np.int64)
    cand = cand[~u.e_is_mve[cand]]
    cutoff = state.cutoff(t)
    pos_list = decode_cursor(q.get("cursor", ""), "e", 1)
    pos = int(pos_list[0]) if pos_list else 0
    out: list[bytes] = []
    while pos < len(cand) and len(out) < limit:
        e = int(cand[pos])
        pos += 1
        if min_close is not None and int(u.e_close[e]) <= min_close:
            continue
        if not _event_status_ok(state, e, codes, t):
            continue
        markets = None
        if nested:
            ms = [m for m in range(int(u.e_first[e]), int(u.e_last[e])) if u.m_settle[m] >= cutoff]
            markets = render_markets(state, ms, t)
        out.append(event_fragment(u, e, markets))
    cursor = encode_cursor("e", pos) if pos < len(cand) else ""
    return _json(
        b'{"events":'
        + join_array(out)
        + b',"cursor":'
        + orjson.dumps(cursor)
        + b',"milestones":[]}'
    )


def get_event(request: Request) -> Response:
    state: SimState = request.app.state.sim
    u = state.u
    q = _q(request)
    t = state.clock.now()
    e = u.event_index.get(request.path_params["event_ticker"])
    if e is None:
        raise not_found(f"event {request.path_params['event_ticker']} not found")
    cutoff = state.cutoff(t)
    ms = [m for m in range(int(u.e_first[e]), int(u.e_last[e])) if u.m_settle[m] >= cutoff]
    markets = render_markets(state, ms, t)
    nested = _bool(q, "with_nested_markets")
    body = (
        b'{"event":'
        + event_fragment(u, e, markets if nested else None)
        + b',"markets":'
        + join_array(markets)
        + b"}"
    )
    return _json(body)


async def get_series_list(request: Request) -> Response:
    state: SimState = request.app.state.sim
    u = state.u
    q = _q(request)
    cat = q.get("category")
    tags = {x for x in q.get("tags", "").split(",") if x}
    out = [
        u.s_json[s]
        for s in range(len(u.s_ticker))
        if (not cat or cat == u.s_category[s] or (cat == "Parlays" and b"Parlays" in u.s_json[s]))
        and (not tags or tags & set(u.s_tags[s]))
    ]
    return _json(b'{"series":' + join_array(out) + b"}")


async def get_series(request: Request) -> Response:
    state: SimState = request.app.state.sim
    s = state.u.series_index.get(request.path_params["series_ticker"])
    if s is None:
        raise not_found(f"series {request.path_params['series_ticker']} not found")
    return _json(b'{"series":' + state.u.s_json[s] + b"}")


async def get_orderbook(request: Request) -> Response:
    state: SimState = request.app.state.sim
    q = _q(request)
    t = state.clock.now()
    depth = _int(q, "depth", 0, lo=0, hi=100)
    assert depth is not None
    m = _market_index(state, request.path_params["ticker"], t, historical=False)
    return _json(orjson.dumps(_book(state, m, t, depth)))


def _book(state: SimState, m: int, t: float, depth: int) -> dict[str, Any]:
    active = bool(state.u.m_open[m] <= t < state.u.m_close[m])
    yes, no = state.model.book_levels(m, t, depth) if active else ([], [])
    # Kalshi lists each side from the lowest to the highest price: the best bid comes last.
    yes = sorted(yes)
    no = sorted(no)
    if state.legacy:
        return {
            "orderbook": {
                "yes": [[p // 100, s] for p, s in yes] or None,
                "no": [[p // 100, s] for p, s in no] or None,
                "yes_dollars": [[DOLLARS[p], s] for p, s in yes],
                "no_dollars": [[DOLLARS[p], s] for p, s in no],
            }
        }
    return {
        "orderbook_fp": {
            "yes_dollars": [[DOLLARS[p], f"{s}.00"] for p, s in yes],
            "no_dollars": [[DOLLARS[p], f"{s}.00"] for p, s in no],
        }
    }


def get_orderbooks(request: Request) -> Response:
    state: SimState = request.app.state.sim
    t = state.clock.now()
    tickers = request.query_params.getlist("tickers")
    tickers = [x for part in tickers for x in part.split(",") if x]
    if not tickers or len(tickers) > 100:
        raise bad_request("tickers: between 1 and 100 market tickers are required")
    out = []
    for tk in tickers:
        m = _market_index(state, tk, t, historical=False)
        book = _book(state, m, t, 0)
        out.append({"ticker": tk, **book})
    return _json(orjson.dumps({"orderbooks": out}))


# -- trades ------------------------------------------------------------------------------------


def _trade_id(seed: int, m: int, leaf: int, slot: int) -> str:
    # Busy steps hold at most 4 trades (slot < 8: the original ids); a calibrated step can
    # hold many prints, whose ids come from a second key space.
    if slot < 8:
        h1 = int(kn.hkey(seed, 77, m, leaf * 8 + slot))
    else:
        h1 = int(kn.hkey(seed, 78, m, (leaf << 24) + slot))
    h2 = int(kn.mix(np.uint64(h1)))
    return str(uuid.UUID(int=(h1 << 64) | h2, version=4))


def _iso_ms(ts: float) -> str:
    d = datetime.fromtimestamp(ts, UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond:06d}Z"


def _trade_obj(
    state: SimState, m: int, ts: float, count: int, price: int, yes: bool, leaf: int, slot: int
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


def _collect_trades(
    state: SimState, q: dict[str, str], t: float, *, historical: bool
) -> tuple[list[dict[str, Any]], str]:
    """Trades newest first; the cursor is the (time, market, leaf, slot) key of the last trade
    returned, so pages stay stable while new trades arrive.

    Time windows are scanned backwards from max_ts (or now, or the historical cutoff): each
    window's trades over all candidate markets come from one numba call; a window holding more
    than _WINDOW_CAP trades is narrowed, one holding too few makes the next one wider."""
    u = state.u
    limit = _limit(q)
    min_ts = _int(q, "min_ts")
    max_ts = _int(q, "max_ts")
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


def get_trades(request: Request) -> Response:
    state: SimState = request.app.state.sim
    items, cursor = _collect_trades(state, _q(request), state.clock.now(), historical=False)
    return _json(orjson.dumps({"trades": items, "cursor": cursor}))


def get_historical_trades(request: Request) -> Response:
    state: SimState = request.app.state.sim
    items, cursor = _collect_trades(state, _q(request), state.clock.now(), historical=True)
    return _json(orjson.dumps({"trades": items, "cursor": cursor}))


# -- candlesticks ------------------------------------------------------------------------------


def _candle_params(q: dict[str, str]) -> tuple[int, int, int]:
    start = _int(q, "start_ts")
    end = _int(q, "end_ts")
    period = _int(q, "period_interval")
    if start is None or end is None or period is None:
        raise bad_request("start_ts, end_ts and period_interval are required")
    if period not in (1, 60, 1440):
        raise bad_request("period_interval must be 1, 60 or 1440")
    if end < start:
        raise bad_request("end_ts must not be before start_ts")
    return start, end, period


def candles(
    state: SimState, m: int, start: int, end: int, period: int, t: float, *, style: str
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


def get_candles(request: Request) -> Response:
    state: SimState = request.app.state.sim
    t = state.clock.now()
    start, end, period = _candle_params(_q(request))
    ticker = request.path_params["ticker"]
    m = _market_index(state, ticker, t, historical=False)
    s = state.u.series_index.get(request.path_params["series_ticker"])
    if s is None or int(state.u.m_series[m]) != s:
        raise not_found(f"market {ticker} not found in series")
    style = "legacy" if state.legacy else "current"
    data = candles(state, m, start, end, period, t, style=style)
    return _json(orjson.dumps({"ticker": ticker, "candlesticks": data}))


def get_batch_candles(request: Request) -> Response:
    state: SimState = request.app.state.sim
    t = state.clock.now()
    q = _q(request)
    start, end, period = _candle_params(q)
    tickers = [x for x in q.get("market_tickers", "").split(",") if x]
    if not tickers or len(tickers) > 100:
        raise bad_request("market_tickers: between 1 and 100 tickers are required")
    style = "legacy" if state.legacy else "current"
    out = []
    for tk in tickers:
        m = _market_index(state, tk, t, historical=False)
        out.append(
            {
                "market_ticker": tk,
                "candlesticks": candles(state, m, start, end, period, t, style=style),
            }
        )
    return _json(orjson.dumps({"markets": out}))


def get_historical_candles(request: Request) -> Response:
    state: SimState = request.app.state.sim
    t = state.clock.now()
    start, end, period = _candle_params(_q(request))
    ticker = request.path_params["ticker"]
    m = _market_index(state, ticker, t, historical=True)
    data = candles(state, m, start, end, period, t, style="historical")
    return _json(orjson.dumps({"ticker": ticker, "candlesticks": data}))


async def get_cutoff(request: Request) -> Response:
    state: SimState = request.app.state.sim
    c = rfc3339(state.cutoff(state.clock.now()))
    return _json(
        orjson.dumps({"market_settled_ts": c, "trades_created_ts": c, "orders_updated_ts": c})
    )


async def get_exchange_status(request: Request) -> Response:
    return _json(
        b'{"exchange_active":true,"trading_active":true,"exchange_estimated_resume_time":null}'
    )


# -- admin -------------------------------------------------------------------------------------


async def admin_faults(request: Request) -> Response:
    state: SimState = request.app.state.sim
    if request.method == "POST":
        try:
            changes = orjson.loads(await request.body())
            if not isinstance(changes, dict):
                raise ValueError("body must be a JSON object")
            state.faults.update(changes)
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            raise bad_request(str(exc)) from None
        log.info("faults updated", extra={"changes": changes})
    return _json(orjson.dumps(state.faults.snapshot()))


async def admin_stats(request: Request) -> Response:
    state: SimState = request.app.state.sim
    now = state.clock.now()
    return _json(
        orjson.dumps(
            {
                "counters": dict(state.faults.counters),
                "sim_time": rfc3339(int(now)),
                "sim_ts": now,
                "time_scale": state.clock.time_scale,
                "markets": state.u.n_markets,
                "events": len(state.u.e_ticker),
                "series": len(state.u.s_ticker),
                "legacy_format": state.legacy,
            }
        )
    )


async def admin_clock(request: Request) -> Response:
    state: SimState = request.app.state.sim
    if request.method == "POST":
        body = orjson.loads(await request.body() or b"{}")
        ts = body.get("sim_ts")
        scale = body.get("time_scale")
        state.clock.set(None if ts is None else float(ts), None if scale is None else float(scale))
    return _json(orjson.dumps({"sim_ts": state.clock.now(), "time_scale": state.clock.time_scale}))


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    body = {
        "error": {
            "code": exc.code,
            "message": exc.message,
            "details": exc.details,
            "service": "exchange",
        }
    }
    return _json(orjson.dumps(body), exc.status)


async def unknown_route(request: Request, exc: Exception) -> Response:
    body = {
        "error": {
            "code": "not_found",
            "message": "not found",
            "details": request.url.path,
            "service": "exchange",
        }
    }
    return _json(orjson.dumps(body), 404)


def _routes() -> list[Route]:
    r: list[tuple[str, Callable[[Request], Any]]] = [
        ("/markets", get_markets),
        ("/markets/trades", get_trades),
        ("/markets/candlesticks", get_batch_candles),
        ("/markets/orderbooks", get_orderbooks),
        ("/markets/{ticker}", get_market),
        ("/markets/{ticker}/orderbook", get_orderbook),
        ("/events", get_events),
        ("/events/{event_ticker}", get_event),
        ("/series", get_series_list),
        ("/series/{series_ticker}", get_series),
        ("/series/{series_ticker}/markets/{ticker}/candlesticks", get_candles),
        ("/historical/cutoff", get_cutoff),
        ("/historical/markets", get_historical_markets),
        ("/historical/markets/{ticker}", get_historical_market),
        ("/historical/markets/{ticker}/candlesticks", get_historical_candles),
        ("/historical/trades", get_historical_trades),
        ("/exchange/status", get_exchange_status),
    ]
    return [Route(path, fn, methods=["GET"]) for path, fn in r]


def build_model(cfg: SimConfig) -> Model:
    """The price model for a config: replay of a recording, or the synthetic universe."""
    if cfg.replay_path is not None:
        from kalshi_sim.replay import ReplayModel

        return ReplayModel.from_csv(cfg.replay_path, seed=cfg.seed, legacy=cfg.legacy_format)
    return SyntheticModel(cached_universe(cfg, cfg.cache_dir))


def create_app(config: SimConfig | None = None, *, model: Model | None = None) -> Starlette:
    """Build the simulator app (universe generation happens here, not per request)."""
    cfg = config or SimConfig()
    if cfg.recorded_dir is not None and model is None:
        from kalshi_sim.recorded_api import create_recorded_app

        return create_recorded_app(cfg)
    t0 = time.perf_counter()
    mdl = model if model is not None else build_model(cfg)
    if cfg.replay_path is not None:
        from kalshi_sim.replay import ReplayModel

        assert isinstance(mdl, ReplayModel)
        start = mdl.start_ts if cfg.start_time is None else cfg.start_time.timestamp()
        clock = SimClock(start, cfg.replay_speed)
    else:
        start = time.time() if cfg.start_time is None else cfg.start_time.timestamp()
        clock = SimClock(start, cfg.time_scale)
    faults = FaultState(cfg.faults, cfg.rate_limit_per_s, cfg.rate_burst)
    state = SimState(cfg, mdl, clock, faults)
    # Compile (or load from cache) the kernels now so the first request is not the slow one.
    if state.u.n_markets:
        now = clock.now()
        state.model.rows(np.arange(min(2, state.u.n_markets)), now)
        state.model.trades(0, now - 60.0, now)
        state.model.volume_last(0, now)
        state.model.trades_window(np.arange(1), now - 60.0, now, 10)
        state.model.quote_ohlc(0, now - 60.0, now)
        state.model.book_levels(0, now, 1)
        render_markets_array(state, [0], now)
    api = Starlette(
        routes=_routes(),
        exception_handlers={ApiError: api_error, 404: unknown_route},
    )
    admin = [
        Route("/faults", admin_faults, methods=["GET", "POST"]),
        Route("/stats", admin_stats, methods=["GET"]),
        Route("/clock", admin_clock, methods=["GET", "POST"]),
    ]
    app = Starlette(
        routes=[Mount(PREFIX, app=api), Mount("/_sim", routes=admin)],
        exception_handlers={ApiError: api_error, 404: unknown_route},
    )
    app.state.sim = state
    api.state.sim = state
    app.add_middleware(FaultMiddleware, state=faults)
    log.info(
        "simulator ready",
        extra={
            "markets": state.u.n_markets,
            "events": len(state.u.e_ticker),
            "startup_s": round(time.perf_counter() - t0, 3),
            "legacy": cfg.legacy_format,
            "dynamics": cfg.dynamics,
        },
    )
    return app


def admin_state(app: Starlette) -> SimState:
    """The SimState behind an app (for tests and the CLI)."""
    state: SimState = app.state.sim
    return state


__all__ = ["PREFIX", "SimState", "admin_state", "create_app"]
