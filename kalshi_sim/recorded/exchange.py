"""The exchange served from a recorded dataset (`python -m kalshi_sim --recorded DIR`).

`RecordedExchange` answers the `kalshi_sim.exchange.Exchange` protocol, so the recorded app has
the synthetic one's routes, handlers, error bodies, rate limit and fault knobs
(`kalshi_sim.handlers`); the data come from `kalshi_sim.recorded.loader`.

The clock stands at the end of the recording (the hour after its last instant), so every market
is past its close: its book is empty (bid 0, ask 1, no size: what Kalshi shows for a closed
market), and its status, result and settlement value are the recorded ones.

The historical cutoff is fixed (`--cutoff`, default the middle of the recording): markets settled
before it are served only by `/historical/markets*` and their candlesticks only by
`/historical/markets/{ticker}/candlesticks`; trades are split by their own time, as Kalshi
documents it: before the cutoff on `/historical/trades`, from it on `/markets/trades`.

Candlesticks are built from the recorded trades (or recorded 1-minute candles) and only for
periods that hold trades. Their `yes_bid`, `yes_ask` and open interest are left out: a trade
tape or a candle of trade prices says nothing about the book, and the simulator does not make
one up. Kalshi's schema marks them required, so a strict client (the official SDK) refuses
these candles; the workbench's client stores them with the quote columns empty.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.applications import Starlette

from kalshi_core.logs import get_logger
from kalshi_sim.config import SimConfig
from kalshi_sim.faults import FaultState
from kalshi_sim.handlers.params import MAX_CANDLES, decode_cursor, encode_cursor, int_param
from kalshi_sim.handlers.responses import bad_request
from kalshi_sim.handlers.routes import build_app
from kalshi_sim.recorded.data import SETTLED, US, RecordedData, iso_us
from kalshi_sim.recorded.loader import load_recorded
from kalshi_sim.recorded.queries import CandleRow, candle_rows, recent_activity, trade_span
from kalshi_sim.render import DOLLARS

Query = dict[str, str]

log = get_logger(__name__)
DAY_US = 86_400 * US

QUERY_STATUS: dict[str, frozenset[str]] = {
    "unopened": frozenset({"initialized"}),
    "open": frozenset({"active"}),
    "paused": frozenset({"inactive"}),
    "closed": frozenset({"closed", "determined", "disputed", "amended"}),
    "settled": SETTLED,
}
"""Query words of `status` -> the statuses Kalshi returns."""

_PRICE_RANGES = [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}]


class RecordedExchange:
    """The data, the fixed clock and cutoff, the fault knobs; answers as of the recording's end
    (the `t` the protocol passes is that instant)."""

    def __init__(self, cfg: SimConfig, data: RecordedData, faults: FaultState) -> None:
        self.cfg = cfg
        self.data = data
        self.faults = faults
        self.now_us = data.end_us
        cut = cfg.recorded_cutoff
        self.cutoff_us = data.default_cutoff_us if cut is None else int(cut.timestamp()) * US

    def historical(self, m: int) -> bool:
        settled = self.data.markets[m].settled_us
        return settled is not None and settled < self.cutoff_us

    def now(self) -> float:
        return self.now_us / US

    # -- lookups ----------------------------------------------------------------------------
    def market_row(self, ticker: str) -> int | None:
        return self.data.market_index.get(ticker)

    def is_historical(self, m: int, t: float) -> bool:
        return self.historical(m)

    def market_series(self, m: int) -> str:
        return self.data.markets[m].series_ticker

    def event_row(self, ticker: str) -> int | None:
        return self.data.event_index.get(ticker)

    # -- markets ----------------------------------------------------------------------------
    def markets_page(
        self, q: Query, t: float, *, historical: bool, limit: int
    ) -> tuple[bytes, str]:
        idx, cursor = select_markets(self, q, historical=historical, limit=limit)
        return orjson.dumps([market_obj(self, m) for m in idx]), cursor

    def market_json(self, m: int, t: float) -> bytes:
        return orjson.dumps(market_obj(self, m))

    def orderbook(self, m: int, t: float, depth: int) -> dict[str, Any]:
        # every recorded market is past its close: nothing rests on either side
        return {"orderbook_fp": {"yes_dollars": [], "no_dollars": []}}

    # -- events and series ------------------------------------------------------------------
    def events_page(self, q: Query, t: float, *, limit: int, nested: bool) -> tuple[bytes, str]:
        d = self.data
        statuses = _statuses(q)
        min_close = int_param(q, "min_close_ts")
        cand = list(range(len(d.events)))
        if q.get("series_ticker"):
            s = d.series_index.get(q["series_ticker"])
            cand = d.series_events[s] if s is not None else []
        if q.get("tickers"):
            wanted = {x.strip() for x in q["tickers"].split(",")}
            cand = [e for e in cand if d.events[e].event_ticker in wanted]
        out = []
        for e in cand:
            members = d.event_markets[e]
            if (
                min_close is not None
                and max(d.markets[m].close_us for m in members) <= min_close * US
            ):
                continue
            if statuses is not None and d.markets[members[0]].status not in statuses:
                continue
            out.append(e)
        page, cursor = _page(out, q, "e", limit)
        events = [event_obj(self, e, self._live_markets(e) if nested else None) for e in page]
        return orjson.dumps(events), cursor

    def event_json(self, e: int, t: float, *, nested: bool) -> tuple[bytes, bytes]:
        members = self._live_markets(e)
        event = event_obj(self, e, members if nested else None)
        return orjson.dumps(event), orjson.dumps([market_obj(self, m) for m in members])

    def _live_markets(self, e: int) -> list[int]:
        return [m for m in self.data.event_markets[e] if not self.historical(m)]

    def series_list_json(self, category: str | None, tags: set[str]) -> bytes:
        # a recording names no tags, so a tag filter is not applied
        return orjson.dumps(
            [
                series_obj(self, s)
                for s, se in enumerate(self.data.series)
                if not category or category == se.category
            ]
        )

    def series_json(self, ticker: str) -> bytes | None:
        s = self.data.series_index.get(ticker)
        return None if s is None else orjson.dumps(series_obj(self, s))

    # -- history ----------------------------------------------------------------------------
    def trades_page(
        self, q: Query, t: float, *, historical: bool, limit: int
    ) -> tuple[list[dict[str, Any]], str]:
        """Newest first; the cursor is the rank of the last trade returned. Trades are split by
        their own time: before the cutoff on /historical/trades, from it on /markets/trades."""
        tape = self.data.tape
        min_ts, max_ts = int_param(q, "min_ts"), int_param(q, "max_ts")
        cur = decode_cursor(q.get("cursor", ""), "t", 1)
        upper = self.now_us if max_ts is None else min(self.now_us, max_ts * US)
        lower = None if min_ts is None else min_ts * US
        if historical:
            upper = min(upper, self.cutoff_us - 1)
        else:
            lower = self.cutoff_us if lower is None else max(lower, self.cutoff_us)
        m: int | None = None
        ticker = q.get("ticker")
        if ticker:
            m = self.data.market_index.get(ticker)
            if m is None or not tape.size:
                return [], ""
        elif not tape.size:
            return [], ""
        ranks, start, end = trade_span(tape, m, lower, upper, -1 if cur is None else int(cur[0]))
        page = ranks[start : min(end, start + limit)].tolist()
        cursor = encode_cursor("t", page[-1]) if page and start + limit < end else ""
        return [trade_obj(self, r) for r in page], cursor

    def candles(
        self, m: int, start: int, end: int, period: int, t: float, *, historical: bool
    ) -> list[dict[str, Any]]:
        """Only periods holding recorded trades (a recording knows nothing of the others)."""
        mk = self.data.markets[m]
        p = period * 60
        lo, hi = max(start, mk.open_us // US), min(end, self.now_us // US)
        if hi >= lo and (hi - lo) // p + 1 > MAX_CANDLES:
            raise bad_request(
                f"too many candlesticks requested ({(hi - lo) // p + 1} > {MAX_CANDLES})"
            )
        rows = candle_rows(self.data, m, start, min(end, self.now_us // US), period)
        return [candle_obj(r, historical=historical) for r in rows]

    def cutoff_time(self, t: float) -> str:
        return iso_us(self.cutoff_us)

    # -- /_sim ------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return {
            "mode": "recorded",
            "counters": dict(self.faults.counters),
            "sim_time": iso_us(self.now_us),
            "sim_ts": self.now_us / US,
            "time_scale": 0.0,
            "cutoff": iso_us(self.cutoff_us),
            "historical_markets": sum(self.historical(m) for m in range(len(self.data.markets))),
            **self.data.summary(),
        }

    def read_clock(self) -> tuple[float, float]:
        return self.now_us / US, 0.0

    def set_clock(self, body: bytes) -> None:
        raise bad_request("a recorded dataset is served as of its end: the clock does not move")


def _fp(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


# --- rendering --------------------------------------------------------------------------------


def market_obj(state: RecordedExchange, m: int) -> dict[str, Any]:
    """A Market object (Trade API 3.34 fields); what the recording lacks is neutral and listed
    in kalshi_sim/README.md."""
    mk = state.data.markets[m]
    vol24, before = recent_activity(state.data, m, state.now_us - DAY_US)
    last = iso_us(mk.settled_us or mk.close_us)
    return {
        "ticker": mk.ticker,
        "event_ticker": mk.event_ticker,
        "market_type": "binary",
        "title": mk.title,
        "subtitle": "",
        "yes_sub_title": "",
        "no_sub_title": "",
        "created_time": iso_us(mk.open_us),
        "updated_time": last,
        "open_time": iso_us(mk.open_us),
        "close_time": iso_us(mk.close_us),
        "expected_expiration_time": None,
        "expiration_time": None,
        "latest_expiration_time": last,
        "settlement_timer_seconds": 0,
        "status": mk.status,
        # past its close: an empty book
        "yes_bid_dollars": "0.0000",
        "yes_bid_size_fp": "0.00",
        "yes_ask_dollars": "1.0000",
        "yes_ask_size_fp": "0.00",
        "no_bid_dollars": "0.0000",
        "no_ask_dollars": "1.0000",
        "last_price_dollars": DOLLARS[mk.last_bp or 0],
        "previous_yes_bid_dollars": "0.0000",
        "previous_yes_ask_dollars": "1.0000",
        "previous_price_dollars": DOLLARS[before or 0],
        "volume_fp": _fp(mk.volume_h),
        "volume_24h_fp": _fp(vol24),
        "open_interest_fp": "0.00",
        "notional_value_dollars": "1.0000",
        "result": mk.result,
        "expiration_value": "",
        "settlement_value_dollars": (
            None if mk.settlement_bp is None or not mk.result else DOLLARS[mk.settlement_bp]
        ),
        "settlement_ts": None if mk.settled_us is None else iso_us(mk.settled_us),
        # Not recorded: a recording cannot prove its close was scheduled, so the close may have
        # come early (a game decided, a question answered) and is known only when it came.
        "can_close_early": True,
        "settlement_bounds_type": "default",
        "rules_primary": f"Recorded market ({mk.dataset}): {mk.provenance}.",
        "rules_secondary": "",
        "price_level_structure": "linear_cent",
        "price_ranges": _PRICE_RANGES,
        "strike_type": None,
        "floor_strike": None,
        "cap_strike": None,
        "mve_collection_ticker": None,
        "exchange_index": 0,
    }


def event_obj(state: RecordedExchange, e: int, nested: list[int] | None) -> dict[str, Any]:
    ev = state.data.events[e]
    return {
        "event_ticker": ev.event_ticker,
        "series_ticker": ev.series_ticker,
        "title": ev.title,
        "sub_title": "",
        "category": ev.category,
        "collateral_return_type": "",
        "mutually_exclusive": False,
        "available_on_brokers": True,
        "settlement_sources": [],
        "strike_date": None,
        "strike_period": "",
        "product_metadata": None,
        "markets": None if nested is None else [market_obj(state, m) for m in nested],
    }


def series_obj(state: RecordedExchange, s: int) -> dict[str, Any]:
    se = state.data.series[s]
    return {
        "ticker": se.ticker,
        "title": se.title,
        "category": se.category,
        "categories": [se.category],
        "frequency": "",
        "tags": [],
        "settlement_sources": [],
        "contract_url": "",
        "contract_terms_url": "",
        # not recorded: Kalshi's standard schedule
        "fee_type": "quadratic",
        "fee_multiplier": 1,
        "additional_prohibitions": [],
        "product_metadata": None,
        "volume_fp": None,
    }


def trade_obj(state: RecordedExchange, rank: int) -> dict[str, Any]:
    tape = state.data.tape
    price = int(tape.price_bp[rank])
    taker = int(tape.taker[rank])
    side = None if taker < 0 else ("yes" if taker else "no")
    return {
        "trade_id": tape.trade_id[rank],
        "ticker": state.data.markets[int(tape.market[rank])].ticker,
        "created_time": iso_us(int(tape.time_us[rank])),
        "yes_price_dollars": DOLLARS[price],
        "no_price_dollars": DOLLARS[10_000 - price],
        "count_fp": _fp(int(tape.count_h[rank])),
        "taker_side": side,
        "taker_outcome_side": side,
        "taker_book_side": None if side is None else ("bid" if taker else "ask"),
        "is_block_trade": False,
    }


def candle_obj(row: CandleRow, *, historical: bool) -> dict[str, Any]:
    """A candlestick without `yes_bid`/`yes_ask`/open interest (not in a recording)."""
    d = DOLLARS
    mean = None if row.mean is None else f"{row.mean:.4f}"
    prev = None if row.previous_bp is None else d[row.previous_bp]
    values = (d[row.open_bp], d[row.low_bp], d[row.high_bp], d[row.close_bp], mean, prev)
    names = ("open", "low", "high", "close", "mean", "previous")
    if historical:
        return {
            "end_period_ts": row.end_s,
            "price": dict(zip(names, values, strict=True)),
            "volume": _fp(row.volume_h),
        }
    return {
        "end_period_ts": row.end_s,
        "price": {f"{k}_dollars": v for k, v in zip(names, values, strict=True)},
        "volume_fp": _fp(row.volume_h),
    }


# --- selection --------------------------------------------------------------------------------


def _statuses(q: dict[str, str]) -> frozenset[str] | None:
    raw = q.get("status", "")
    if not raw:
        return None
    out: set[str] = set()
    for part in raw.split(","):
        words = QUERY_STATUS.get(part.strip())
        if words is None:
            raise bad_request("status must be one of unopened, open, paused, closed, settled")
        out |= words
    return frozenset(out)


def _page(matches: list[int], q: dict[str, str], kind: str, limit: int) -> tuple[list[int], str]:
    """Positions in a static list are stable cursors: the recording never changes."""
    cur = decode_cursor(q.get("cursor", ""), kind, 1)
    pos = int(cur[0]) if cur else 0
    end = pos + limit
    return matches[pos:end], encode_cursor(kind, end) if end < len(matches) else ""


def _within(value_us: int | None, lo_s: int | None, hi_s: int | None) -> bool:
    """Kalshi's min_*/max_* bounds are exclusive; a market without the time never matches."""
    if lo_s is None and hi_s is None:
        return True
    if value_us is None:
        return False
    return (lo_s is None or value_us > lo_s * US) and (hi_s is None or value_us < hi_s * US)


def select_markets(
    state: RecordedExchange, q: dict[str, str], *, historical: bool, limit: int
) -> tuple[list[int], str]:
    """Kalshi's /markets filters (live) or /historical/markets filters, then a page."""
    d = state.data
    mve = q.get("mve_filter", "")
    if mve not in ("", "only", "exclude"):
        raise bad_request("mve_filter must be 'only' or 'exclude'")
    cand: set[int] = set(range(len(d.markets)))
    if q.get("tickers"):
        names = {x.strip() for x in q["tickers"].split(",")}
        cand &= {d.market_index[n] for n in names if n in d.market_index}
    if q.get("event_ticker"):
        if "," in q["event_ticker"]:
            raise bad_request("event_ticker accepts a single event ticker")
        e = d.event_index.get(q["event_ticker"])
        cand &= set(d.event_markets[e]) if e is not None else set()
    if q.get("series_ticker"):
        s = d.series_index.get(q["series_ticker"])
        cand &= set(d.series_markets[s]) if s is not None else set()
    statuses = None if historical else _statuses(q)
    bounds = {
        f"{b}_{name}_ts": int_param(q, f"{b}_{name}_ts")
        for b in ("min", "max")
        for name in ("close", "created", "settled")
    }
    out: list[int] = []
    for m in sorted(cand):
        mk = d.markets[m]
        if state.historical(m) != historical:
            continue
        if mve == "only" or (statuses is not None and mk.status not in statuses):
            continue  # recordings hold no combo markets
        times = {"close": mk.close_us, "created": mk.open_us, "settled": mk.settled_us}
        if all(
            _within(v, bounds[f"min_{name}_ts"], bounds[f"max_{name}_ts"])
            for name, v in times.items()
        ):
            out.append(m)
    return _page(out, q, "h" if historical else "m", limit)


def check_config(cfg: SimConfig) -> None:
    """Options of the synthetic clock and formats mean nothing for a recording: refuse them."""
    if cfg.replay_path is not None:
        raise ValueError("--recorded and --replay are two modes: choose one")
    if cfg.legacy_format:
        raise ValueError("--legacy-format is not served for recorded data (current format only)")
    if cfg.start_time is not None:
        raise ValueError("a recorded dataset is served as of its end: --start-time does not apply")
    if cfg.dynamics != "calibrated" or cfg.activity != 1.0:
        raise ValueError("a recording moves as it was recorded: --dynamics/--activity do not apply")


def create_recorded_app(cfg: SimConfig) -> Starlette:
    """The app serving `cfg.recorded_dir` (loading happens here, not per request)."""
    assert cfg.recorded_dir is not None
    check_config(cfg)
    t0 = time.perf_counter()
    data = load_recorded(cfg.recorded_dir, cfg.recorded_datasets)
    faults = FaultState(cfg.faults, cfg.rate_limit_per_s, cfg.rate_burst)
    state = RecordedExchange(cfg, data, faults)
    app = build_app(state)
    log.info(
        "recorded simulator ready",
        extra={
            **data.summary(),
            "now": iso_us(state.now_us),
            "cutoff": iso_us(state.cutoff_us),
            "historical_markets": sum(state.historical(m) for m in range(len(data.markets))),
            "startup_s": round(time.perf_counter() - t0, 3),
        },
    )
    return app


__all__ = ["RecordedExchange", "create_recorded_app", "market_obj", "select_markets"]
