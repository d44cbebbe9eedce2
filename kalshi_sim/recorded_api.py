"""The simulator's Trade API over a recorded dataset (`python -m kalshi_sim --recorded DIR`).

Same prefix, error bodies, rate limit and fault knobs as the synthetic simulator
(`kalshi_sim.app`); the data come from `kalshi_sim.recorded`. The clock stands at the end of the
recording (the hour after its last instant), so every market is past its close: its book is
empty (bid 0, ask 1, no size: what Kalshi shows for a closed market), and its status, result and
settlement value are the recorded ones.

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
from collections.abc import Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from kalshi_core.logs import get_logger
from kalshi_sim.app import (
    MAX_CANDLES,
    PREFIX,
    ApiError,
    _bool,
    _candle_params,
    _int,
    _json,
    _limit,
    _q,
    admin_faults,
    api_error,
    bad_request,
    decode_cursor,
    encode_cursor,
    not_found,
    unknown_route,
)
from kalshi_sim.config import SimConfig
from kalshi_sim.faults import FaultMiddleware, FaultState
from kalshi_sim.recorded import (
    SETTLED,
    US,
    CandleRow,
    RecordedData,
    candle_rows,
    iso_us,
    load_recorded,
    recent_activity,
    trade_span,
)
from kalshi_sim.render import DOLLARS

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


class RecordedState:
    """What the handlers read: the data, the fixed clock and cutoff, the fault knobs."""

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


def _fp(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


# --- rendering --------------------------------------------------------------------------------


def market_obj(state: RecordedState, m: int) -> dict[str, Any]:
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
        "can_close_early": False,
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


def event_obj(state: RecordedState, e: int, nested: list[int] | None) -> dict[str, Any]:
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


def series_obj(state: RecordedState, s: int) -> dict[str, Any]:
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


def trade_obj(state: RecordedState, rank: int) -> dict[str, Any]:
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
    state: RecordedState, q: dict[str, str], *, historical: bool, limit: int
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
        f"{b}_{name}_ts": _int(q, f"{b}_{name}_ts")
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


def _market(state: RecordedState, ticker: str, *, historical: bool) -> int:
    m = state.data.market_index.get(ticker)
    if m is None:
        raise not_found(f"market {ticker} not found")
    if state.historical(m) != historical:
        raise not_found(f"market {ticker} is " + ("" if not historical else "not ") + "historical")
    return m


# --- handlers ---------------------------------------------------------------------------------


def _state(request: Request) -> RecordedState:
    state: RecordedState = request.app.state.recorded
    return state


def _markets_page(request: Request, *, historical: bool) -> Response:
    state, q = _state(request), _q(request)
    idx, cursor = select_markets(state, q, historical=historical, limit=_limit(q))
    markets = [market_obj(state, m) for m in idx]
    return _json(orjson.dumps({"markets": markets, "cursor": cursor}))


def get_markets(request: Request) -> Response:
    return _markets_page(request, historical=False)


def get_historical_markets(request: Request) -> Response:
    return _markets_page(request, historical=True)


def get_market(request: Request) -> Response:
    state = _state(request)
    m = _market(state, request.path_params["ticker"], historical=False)
    return _json(orjson.dumps({"market": market_obj(state, m)}))


def get_historical_market(request: Request) -> Response:
    state = _state(request)
    m = _market(state, request.path_params["ticker"], historical=True)
    return _json(orjson.dumps({"market": market_obj(state, m)}))


def _live_markets(state: RecordedState, e: int) -> list[int]:
    return [m for m in state.data.event_markets[e] if not state.historical(m)]


def get_events(request: Request) -> Response:
    state, q = _state(request), _q(request)
    d = state.data
    limit = _limit(q, 200, 200)
    nested = _bool(q, "with_nested_markets")
    statuses = _statuses(q)
    min_close = _int(q, "min_close_ts")
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
        if min_close is not None and max(d.markets[m].close_us for m in members) <= min_close * US:
            continue
        if statuses is not None and d.markets[members[0]].status not in statuses:
            continue
        out.append(e)
    page, cursor = _page(out, q, "e", limit)
    events = [event_obj(state, e, _live_markets(state, e) if nested else None) for e in page]
    return _json(orjson.dumps({"events": events, "cursor": cursor, "milestones": []}))


def get_event(request: Request) -> Response:
    state = _state(request)
    ticker = request.path_params["event_ticker"]
    e = state.data.event_index.get(ticker)
    if e is None:
        raise not_found(f"event {ticker} not found")
    members = _live_markets(state, e)
    nested = _bool(_q(request), "with_nested_markets")
    body = {
        "event": event_obj(state, e, members if nested else None),
        "markets": [market_obj(state, m) for m in members],
    }
    return _json(orjson.dumps(body))


def get_series_list(request: Request) -> Response:
    state, q = _state(request), _q(request)
    cat = q.get("category")
    series = [
        series_obj(state, s)
        for s, se in enumerate(state.data.series)
        if not cat or cat == se.category
    ]
    return _json(orjson.dumps({"series": series}))


def get_series(request: Request) -> Response:
    state = _state(request)
    ticker = request.path_params["series_ticker"]
    s = state.data.series_index.get(ticker)
    if s is None:
        raise not_found(f"series {ticker} not found")
    return _json(orjson.dumps({"series": series_obj(state, s)}))


def get_orderbook(request: Request) -> Response:
    state = _state(request)
    _market(state, request.path_params["ticker"], historical=False)
    # every recorded market is past its close: nothing rests on either side
    return _json(b'{"orderbook_fp":{"yes_dollars":[],"no_dollars":[]}}')


def _trades(request: Request, *, historical: bool) -> Response:
    """Newest first; the cursor is the rank of the last trade returned."""
    state, q = _state(request), _q(request)
    tape = state.data.tape
    limit = _limit(q)
    min_ts, max_ts = _int(q, "min_ts"), _int(q, "max_ts")
    cur = decode_cursor(q.get("cursor", ""), "t", 1)
    upper = state.now_us if max_ts is None else min(state.now_us, max_ts * US)
    lower = None if min_ts is None else min_ts * US
    if historical:
        upper = min(upper, state.cutoff_us - 1)
    else:
        lower = state.cutoff_us if lower is None else max(lower, state.cutoff_us)
    m: int | None = None
    ticker = q.get("ticker")
    if ticker:
        m = state.data.market_index.get(ticker)
        if m is None or not tape.size:
            return _json(b'{"trades":[],"cursor":""}')
    elif not tape.size:
        return _json(b'{"trades":[],"cursor":""}')
    ranks, start, end = trade_span(tape, m, lower, upper, -1 if cur is None else int(cur[0]))
    page = ranks[start : min(end, start + limit)].tolist()
    cursor = encode_cursor("t", page[-1]) if page and start + limit < end else ""
    return _json(orjson.dumps({"trades": [trade_obj(state, r) for r in page], "cursor": cursor}))


def get_trades(request: Request) -> Response:
    return _trades(request, historical=False)


def get_historical_trades(request: Request) -> Response:
    return _trades(request, historical=True)


def _candles(
    state: RecordedState, m: int, q: dict[str, str], *, historical: bool
) -> list[dict[str, Any]]:
    start, end, period = _candle_params(q)
    mk = state.data.markets[m]
    p = period * 60
    lo, hi = max(start, mk.open_us // US), min(end, state.now_us // US)
    if hi >= lo and (hi - lo) // p + 1 > MAX_CANDLES:
        raise bad_request(f"too many candlesticks requested ({(hi - lo) // p + 1} > {MAX_CANDLES})")
    rows = candle_rows(state.data, m, start, min(end, state.now_us // US), period)
    return [candle_obj(r, historical=historical) for r in rows]


def get_candles(request: Request) -> Response:
    state = _state(request)
    ticker = request.path_params["ticker"]
    m = _market(state, ticker, historical=False)
    if state.data.markets[m].series_ticker != request.path_params["series_ticker"]:
        raise not_found(f"market {ticker} not found in series")
    data = _candles(state, m, _q(request), historical=False)
    return _json(orjson.dumps({"ticker": ticker, "candlesticks": data}))


def get_batch_candles(request: Request) -> Response:
    state, q = _state(request), _q(request)
    tickers = [x for x in q.get("market_tickers", "").split(",") if x]
    if not tickers or len(tickers) > 100:
        raise bad_request("market_tickers: between 1 and 100 tickers are required")
    out = []
    for ticker in tickers:
        m = _market(state, ticker, historical=False)
        out.append(
            {"market_ticker": ticker, "candlesticks": _candles(state, m, q, historical=False)}
        )
    return _json(orjson.dumps({"markets": out}))


def get_historical_candles(request: Request) -> Response:
    state = _state(request)
    ticker = request.path_params["ticker"]
    m = _market(state, ticker, historical=True)
    data = _candles(state, m, _q(request), historical=True)
    return _json(orjson.dumps({"ticker": ticker, "candlesticks": data}))


def get_cutoff(request: Request) -> Response:
    c = iso_us(_state(request).cutoff_us)
    return _json(
        orjson.dumps({"market_settled_ts": c, "trades_created_ts": c, "orders_updated_ts": c})
    )


def get_exchange_status(request: Request) -> Response:
    return _json(
        b'{"exchange_active":true,"trading_active":true,"exchange_estimated_resume_time":null}'
    )


# --- admin ------------------------------------------------------------------------------------


def admin_stats(request: Request) -> Response:
    state = _state(request)
    body = {
        "mode": "recorded",
        "counters": dict(state.faults.counters),
        "sim_time": iso_us(state.now_us),
        "sim_ts": state.now_us / US,
        "time_scale": 0.0,
        "cutoff": iso_us(state.cutoff_us),
        "historical_markets": sum(state.historical(m) for m in range(len(state.data.markets))),
        **state.data.summary(),
    }
    return _json(orjson.dumps(body))


async def admin_clock(request: Request) -> Response:
    state = _state(request)
    if request.method == "POST":
        raise bad_request("a recorded dataset is served as of its end: the clock does not move")
    return _json(orjson.dumps({"sim_ts": state.now_us / US, "time_scale": 0.0}))


def _routes() -> list[Route]:
    r: list[tuple[str, Callable[[Request], Any]]] = [
        ("/markets", get_markets),
        ("/markets/trades", get_trades),
        ("/markets/candlesticks", get_batch_candles),
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
    state = RecordedState(cfg, data, faults)
    # /_sim/faults reads `.faults` from the app state, which both kinds of state have.
    api = Starlette(routes=_routes(), exception_handlers={ApiError: api_error, 404: unknown_route})
    admin = [
        Route("/faults", admin_faults, methods=["GET", "POST"]),
        Route("/stats", admin_stats, methods=["GET"]),
        Route("/clock", admin_clock, methods=["GET", "POST"]),
    ]
    app = Starlette(
        routes=[Mount(PREFIX, app=api), Mount("/_sim", routes=admin)],
        exception_handlers={ApiError: api_error, 404: unknown_route},
    )
    for a in (app, api):
        a.state.recorded = state
        a.state.sim = state
    app.add_middleware(FaultMiddleware, state=faults)
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


__all__ = ["RecordedState", "create_recorded_app", "market_obj", "select_markets"]
