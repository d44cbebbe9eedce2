"""The exchange served from a price model on a clock: the synthetic universe, or a replay.

`ModelExchange` answers the `kalshi_sim.exchange.Exchange` protocol from a `Model` (quotes,
volumes, trades and books as functions of time) and a `SimClock`: at each request the model is
asked as of the clock's now. Markets settled before the historical cutoff (`historical_days`
before now) are served by /historical/* only. Trades and candles: `kalshi_sim.model_history`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import orjson

from kalshi_sim.clock import SimClock
from kalshi_sim.config import SimConfig
from kalshi_sim.faults import FaultState
from kalshi_sim.handlers.params import decode_cursor, encode_cursor, int_param
from kalshi_sim.handlers.responses import bad_request
from kalshi_sim.market_paths.market_rows import N_COLS
from kalshi_sim.model import TradeBatch, Trades
from kalshi_sim.model_history import candles, collect_trades
from kalshi_sim.render import (
    DOLLARS,
    QUERY_STATUS,
    event_fragment,
    join_array,
    market_fragments,
    markets_array,
)
from kalshi_sim.universe import Universe, rfc3339

I64 = npt.NDArray[np.int64]
Query = dict[str, str]


class Model(Protocol):
    """What the exchange needs from a price model (synthetic or replay)."""

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


class ModelExchange:
    """Everything a request reads: config, universe, model, clock, faults."""

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

    def now(self) -> float:
        return self.clock.now()

    # -- lookups ----------------------------------------------------------------------------
    def market_row(self, ticker: str) -> int | None:
        return self.u.ticker_index.get(ticker)

    def is_historical(self, m: int, t: float) -> bool:
        return bool(self.u.m_settle[m] < self.cutoff(t))

    def market_series(self, m: int) -> str:
        return self.u.s_ticker[int(self.u.m_series[m])]

    def event_row(self, ticker: str) -> int | None:
        return self.u.event_index.get(ticker)

    # -- markets ----------------------------------------------------------------------------
    def markets_page(
        self, q: Query, t: float, *, historical: bool, limit: int
    ) -> tuple[bytes, str]:
        idx, cursor = select_markets(self, q, t, historical=historical, limit=limit)
        return render_markets_array(self, idx, t), cursor

    def market_json(self, m: int, t: float) -> bytes:
        return render_markets(self, [m], t)[0]

    def orderbook(self, m: int, t: float, depth: int) -> dict[str, Any]:
        active = bool(self.u.m_open[m] <= t < self.u.m_close[m])
        yes, no = self.model.book_levels(m, t, depth) if active else ([], [])
        # Kalshi lists each side from the lowest to the highest price: the best bid comes last.
        yes = sorted(yes)
        no = sorted(no)
        if self.legacy:
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

    # -- events and series ------------------------------------------------------------------
    def events_page(self, q: Query, t: float, *, limit: int, nested: bool) -> tuple[bytes, str]:
        u = self.u
        codes = status_codes(q)
        min_close = int_param(q, "min_close_ts")
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
        pos_list = decode_cursor(q.get("cursor", ""), "e", 1)
        pos = int(pos_list[0]) if pos_list else 0
        out: list[bytes] = []
        while pos < len(cand) and len(out) < limit:
            e = int(cand[pos])
            pos += 1
            if min_close is not None and int(u.e_close[e]) <= min_close:
                continue
            if not self._event_status_ok(e, codes, t):
                continue
            markets = render_markets(self, self._live_markets(e, t), t) if nested else None
            out.append(event_fragment(u, e, markets))
        cursor = encode_cursor("e", pos) if pos < len(cand) else ""
        return join_array(out), cursor

    def event_json(self, e: int, t: float, *, nested: bool) -> tuple[bytes, bytes]:
        markets = render_markets(self, self._live_markets(e, t), t)
        return event_fragment(self.u, e, markets if nested else None), join_array(markets)

    def _live_markets(self, e: int, t: float) -> list[int]:
        """The event's markets not yet historical at t."""
        u = self.u
        cutoff = self.cutoff(t)
        return [m for m in range(int(u.e_first[e]), int(u.e_last[e])) if u.m_settle[m] >= cutoff]

    def _event_status_ok(self, e: int, codes: set[int] | None, t: float) -> bool:
        if codes is None:
            return True
        m = int(self.u.e_first[e])
        if m >= int(self.u.e_last[e]):
            return False
        return int(status_vec(self.u, np.asarray([m]), t)[0]) in codes

    def series_list_json(self, category: str | None, tags: set[str]) -> bytes:
        u = self.u
        return join_array(
            [
                u.s_json[s]
                for s in range(len(u.s_ticker))
                if (
                    not category
                    or category == u.s_category[s]
                    or (category == "Parlays" and b"Parlays" in u.s_json[s])
                )
                and (not tags or tags & set(u.s_tags[s]))
            ]
        )

    def series_json(self, ticker: str) -> bytes | None:
        s = self.u.series_index.get(ticker)
        return None if s is None else self.u.s_json[s]

    # -- history ----------------------------------------------------------------------------
    def trades_page(
        self, q: Query, t: float, *, historical: bool, limit: int
    ) -> tuple[list[dict[str, Any]], str]:
        return collect_trades(self, q, t, historical=historical, limit=limit)

    def candles(
        self, m: int, start: int, end: int, period: int, t: float, *, historical: bool
    ) -> list[dict[str, Any]]:
        style = "historical" if historical else ("legacy" if self.legacy else "current")
        return candles(self, m, start, end, period, t, style=style)

    def cutoff_time(self, t: float) -> str:
        return rfc3339(self.cutoff(t))

    # -- /_sim ------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "counters": dict(self.faults.counters),
            "sim_time": rfc3339(int(now)),
            "sim_ts": now,
            "time_scale": self.clock.time_scale,
            "markets": self.u.n_markets,
            "events": len(self.u.e_ticker),
            "series": len(self.u.s_ticker),
            "legacy_format": self.legacy,
        }

    def read_clock(self) -> tuple[float, float]:
        return self.clock.now(), self.clock.time_scale

    def set_clock(self, body: bytes) -> None:
        changes = orjson.loads(body or b"{}")
        ts = changes.get("sim_ts")
        scale = changes.get("time_scale")
        self.clock.set(None if ts is None else float(ts), None if scale is None else float(scale))


# ----------------------------------------------------------------------------------------------
# market selection and rendering


def status_codes(q: Query) -> set[int] | None:
    """The status codes (`market_paths.market_rows.ST_*`) a `status` query asks for."""
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


def status_vec(u: Universe, idx: I64, t: float) -> I64:
    """Status codes of markets `idx` at t, vectorized (same as `market_rows.status_at`)."""
    st = np.zeros(len(idx), np.int64)
    st += (u.m_open[idx] <= t).astype(np.int64)
    st += (u.m_close[idx] <= t).astype(np.int64)
    st += (u.m_determined[idx] <= t).astype(np.int64)
    st += (u.m_settle[idx] <= t).astype(np.int64)
    return st


def select_markets(
    state: ModelExchange, q: Query, t: float, *, historical: bool, limit: int
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
    statuses = None if historical else status_codes(q)
    bounds = {
        name: int_param(q, name)
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
            mask &= np.isin(status_vec(u, idx, t), list(statuses))
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


def render_markets_array(state: ModelExchange, idx: Sequence[int], t: float) -> bytes:
    """A JSON array of markets (the fast path used by the list endpoints)."""
    arr = np.asarray(idx, np.int64)
    rows = state.model.rows(arr, t) if len(arr) else np.zeros((0, N_COLS), np.int64)
    return markets_array(state.u, idx, rows, t, state.legacy)


def render_markets(state: ModelExchange, idx: Sequence[int], t: float) -> list[bytes]:
    arr = np.asarray(idx, np.int64)
    rows = state.model.rows(arr, t) if len(arr) else np.zeros((0, N_COLS), np.int64)
    return market_fragments(state.u, idx, rows, t, state.legacy)
