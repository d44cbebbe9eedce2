"""Building the synthetic universe: templates -> series -> events -> markets -> arrays.

`build_universe(cfg)` is a pure function of the config (same seed and anchor, same universe):
each template of `kalshi_sim.catalogue` gets its share of the markets, series by series, along
an event schedule around the anchor; `kalshi_sim.market_layouts` lays out each event's markets
and `kalshi_sim.combos` adds the combo markets; `UniverseBuilder` gathers the rows and freezes
them into a `Universe`.
"""

from __future__ import annotations

import gc
import random
from typing import Any

import numpy as np
import orjson

from kalshi_sim.catalogue import (
    LINEAR_CENT,
    PRICE_RANGES,
    STRUCTURE_NAME,
    TEMPLATE_INDEX,
    TEMPLATES,
    Template,
)
from kalshi_sim.combos import add_combos
from kalshi_sim.config import SimConfig
from kalshi_sim.dynamics import calibrated_activity
from kalshi_sim.market_layouts import add_event_markets
from kalshi_sim.market_paths.params import DYN_CALIBRATED, N_DYN
from kalshi_sim.universe import I64, STEP_S, U8, Universe, rfc3339


class UniverseBuilder:
    """Accumulates rows in Python lists, then freezes them into the Universe's arrays."""

    def __init__(self, cfg: SimConfig) -> None:
        self.cfg = cfg
        self.seed = cfg.seed
        self.anchor = int(cfg.anchor.timestamp())
        self.u = Universe(seed=cfg.seed, anchor_ts=self.anchor)
        self.rnd = random.Random(cfg.seed)
        self.ev: dict[str, list[Any]] = {
            k: [] for k in ("series", "open", "close", "phase", "first", "last", "mve", "c", "s")
        }
        self.mk: dict[str, list[Any]] = {
            k: []
            for k in (
                "event",
                "series",
                "lo",
                "hi",
                "open",
                "close",
                "det",
                "settle",
                "created",
                "mve",
                "rate",
                "oi",
                "hs",
                "tick",
                "depth",
            )
        }
        self.m_static: list[dict[str, object] | bytes] = []
        self.e_static: list[dict[str, object] | bytes] = []
        self.s_template: list[int] = []
        # Event tickers taken so far: a schedule can repeat one, and combos draw theirs.
        self.seen_events: set[str] = set()

    # -- series -----------------------------------------------------------------------------
    def add_series(self, tpl: Template, code: str, name: str) -> int:
        ticker = tpl.prefix.replace("{code}", code) if "{code}" in tpl.prefix else tpl.prefix + code
        idx = len(self.u.s_ticker)
        src_name, src_url = tpl.settlement_source
        fee_mult: float | int = tpl.fee_multiplier
        if fee_mult == int(fee_mult):
            fee_mult = int(fee_mult)
        doc = {
            "additional_prohibitions": [],
            "categories": [tpl.category],
            "category": tpl.category,
            "contract_terms_url": f"https://kalshi.com/docs/terms/{ticker.lower()}.pdf",
            "contract_url": f"https://kalshi-public-docs.s3.amazonaws.com/contracts/{ticker}.pdf",
            "exchange_index": 0,
            "fee_multiplier": fee_mult,
            "fee_type": tpl.fee_type,
            "frequency": tpl.frequency,
            "last_updated_ts": rfc3339(self.anchor - 90 * 86400),
            "product_metadata": None,
            "settlement_sources": [{"name": src_name, "url": src_url}],
            "tags": list(tpl.tags),
            "ticker": ticker,
            "title": tpl.title.split("?")[0]
            .replace(" on {date}", "")
            .format(name=name, date="", month="", team1="Team", team2="Team", word="a word"),
            "volume_fp": None,
        }
        self.u.s_ticker.append(ticker)
        self.s_template.append(TEMPLATE_INDEX.get(id(tpl), -1))
        self.u.s_json.append(orjson.dumps(doc))
        self.u.s_category.append(tpl.category)
        self.u.s_tags.append(tpl.tags)
        return idx

    # -- events and markets ------------------------------------------------------------------
    def add_event(
        self,
        series: int,
        tpl: Template,
        *,
        ticker: str,
        title: str,
        sub_title: str,
        open_ts: int,
        close_ts: int,
        center: float,
        scale: float,
        mutually_exclusive: bool,
        mve: bool = False,
        strike_date: int | None = None,
    ) -> int:
        e = len(self.u.e_ticker)
        self.u.e_ticker.append(ticker)
        ev = self.ev
        ev["series"].append(series)
        ev["open"].append(open_ts)
        ev["close"].append(close_ts)
        ev["phase"].append(self.rnd.randrange(STEP_S))
        ev["first"].append(len(self.mk["event"]))
        ev["last"].append(len(self.mk["event"]))
        ev["mve"].append(mve)
        ev["c"].append(center)
        ev["s"].append(scale)
        src_name, src_url = tpl.settlement_source
        self.e_static.append(
            {
                "available_on_brokers": not mve,
                "category": tpl.category,
                "collateral_return_type": "MECNET" if mutually_exclusive else "",
                "event_ticker": ticker,
                "exchange_index": 0,
                "fee_multiplier_override": None,
                "fee_type_override": None,
                "last_updated_ts": rfc3339(open_ts - 3600),
                "mutually_exclusive": mutually_exclusive,
                "product_metadata": None,
                "series_ticker": self.u.s_ticker[series],
                "settlement_sources": [{"name": src_name, "url": src_url}],
                "strike_date": rfc3339(strike_date) if strike_date else None,
                "strike_period": "",
                "sub_title": sub_title,
                "title": title,
            }
        )
        return e

    def add_market(
        self,
        e: int,
        tpl: Template,
        *,
        suffix: str,
        lo: float,
        hi: float,
        yes_sub: str,
        no_sub: str,
        title: str,
        rules: str,
        strike: dict[str, object],
        rate: float,
        mve_fields: dict[str, object] | None = None,
        open_ts: int | None = None,
        close_ts: int | None = None,
    ) -> int:
        m = len(self.mk["event"])
        ev = self.ev
        o = int(ev["open"][e]) if open_ts is None else open_ts
        c = int(ev["close"][e]) if close_ts is None else close_ts
        r = self.rnd.random
        h = (r(), r(), r(), r())
        det = c + 60 * int(5 + h[0] * 55)
        timer = 1800 if mve_fields is None else 60
        settle = det + timer
        created = o - 60 * int(60 + h[1] * 1440)
        mk = self.mk
        mk["event"].append(e)
        mk["series"].append(ev["series"][e])
        mk["lo"].append(lo)
        mk["hi"].append(hi)
        mk["open"].append(o)
        mk["close"].append(c)
        mk["det"].append(det)
        mk["settle"].append(settle)
        mk["created"].append(created)
        mk["mve"].append(mve_fields is not None)
        mk["rate"].append(rate)
        mk["oi"].append(0.35 + 0.5 * h[2])
        mk["hs"].append(1 + int(h[3] * 3) if mve_fields is None else 3 + int(h[3] * 5))
        tick = LINEAR_CENT if self.cfg.legacy_format else tpl.tick
        mk["tick"].append(tick)
        mk["depth"].append(3 + int(h[1] * 12))
        ev["last"][e] = m + 1
        ticker = f"{self.u.e_ticker[e]}-{suffix}"
        self.u.m_ticker.append(ticker)
        doc: dict[str, object] = {
            "can_close_early": tpl.kind in ("game2", "game3", "candidates", "binary"),
            "cap_strike": None,
            "close_time": rfc3339(c),
            "created_time": rfc3339(created),
            "custom_strike": None,
            "early_close_condition": (
                "This market will close and expire early if the event occurs."
                if tpl.kind in ("candidates", "binary")
                else None
            ),
            "event_ticker": self.u.e_ticker[e],
            "exchange_index": 0,
            "expected_expiration_time": rfc3339(det),
            "expiration_time": rfc3339(c + 7 * 86400),
            "fee_waiver_expiration_time": None,
            "floor_strike": None,
            "fractional_trading_enabled": False,
            "functional_strike": None,
            "is_provisional": None,
            "latest_expiration_time": rfc3339(c + 7 * 86400),
            "liquidity_dollars": "0.0000",
            "market_type": "binary",
            "mve_collection_ticker": None,
            "mve_selected_legs": None,
            "no_sub_title": no_sub,
            "notional_value_dollars": "1.0000",
            "occurrence_datetime": rfc3339(c),
            "open_time": rfc3339(o),
            "price_level_structure": STRUCTURE_NAME[tick],
            "price_ranges": PRICE_RANGES[tick],
            "primary_participant_key": None,
            "rules_primary": rules,
            "rules_secondary": (
                "The market settles on the source listed for the series. If the source is"
                " unavailable, Kalshi may settle the market using an alternative source."
            ),
            "settlement_bounds_type": "default",
            "settlement_floor_dollars": None,
            "settlement_timer_seconds": timer,
            "strike_type": None,
            "subtitle": "",
            "ticker": ticker,
            "title": title,
            "yes_sub_title": yes_sub,
        }
        doc.update(strike)
        if mve_fields is not None:
            doc.update(mve_fields)
        self.m_static.append(doc)
        return m

    # -- freezing ----------------------------------------------------------------------------
    def freeze(self) -> Universe:
        u = self.u
        ev, mk = self.ev, self.mk
        u.s_template = np.asarray(self.s_template, np.int64)
        u.e_series = np.asarray(ev["series"], np.int64)
        u.e_open = np.asarray(ev["open"], np.int64)
        u.e_close = np.asarray(ev["close"], np.int64)
        u.e_phase = np.asarray(ev["phase"], np.int64)
        u.e_first = np.asarray(ev["first"], np.int64)
        u.e_last = np.asarray(ev["last"], np.int64)
        u.e_is_mve = np.asarray(ev["mve"], np.bool_)
        u.e_center = np.asarray(ev["c"], np.float64)
        u.e_scale = np.asarray(ev["s"], np.float64)
        u.m_event = np.asarray(mk["event"], np.int64)
        u.m_series = np.asarray(mk["series"], np.int64)
        u.m_lo = np.asarray(mk["lo"], np.float64)
        u.m_hi = np.asarray(mk["hi"], np.float64)
        u.m_open = np.asarray(mk["open"], np.int64)
        u.m_close = np.asarray(mk["close"], np.int64)
        u.m_determined = np.asarray(mk["det"], np.int64)
        u.m_settle = np.asarray(mk["settle"], np.int64)
        u.m_created = np.asarray(mk["created"], np.int64)
        u.m_is_mve = np.asarray(mk["mve"], np.bool_)
        u.m_rate = np.asarray(mk["rate"], np.float64)
        u.m_oi_frac = np.asarray(mk["oi"], np.float64)
        u.m_half_spread = np.asarray(mk["hs"], np.int64)
        u.m_tick = np.asarray(mk["tick"], np.int64)
        u.m_depth = np.asarray(mk["depth"], np.int64)
        # Fragments are objects without braces so a renderer can append dynamic keys.
        frags = [d if isinstance(d, bytes) else orjson.dumps(d)[1:-1] for d in self.m_static]
        u.m_buf, u.m_off = _pack(frags)
        u.e_json = [d if isinstance(d, bytes) else orjson.dumps(d)[1:-1] for d in self.e_static]
        if self.cfg.legacy_format:
            legacy = [
                legacy_fragment(d) if isinstance(d, bytes) else orjson.dumps(legacy_static(d))[1:-1]
                for d in self.m_static
            ]
            u.m_buf_legacy, u.m_off_legacy = _pack(legacy)
        self.m_static.clear()
        self.e_static.clear()
        u.finish_indexes()
        return u


_LEGACY_DROP = (
    "created_time",
    "exchange_index",
    "fee_waiver_expiration_time",
    "fractional_trading_enabled",
    "is_provisional",
    "mve_collection_ticker",
    "mve_selected_legs",
    "occurrence_datetime",
    "primary_participant_key",
    "settlement_bounds_type",
    "settlement_floor_dollars",
    "functional_strike",
)


def legacy_static(doc: dict[str, object]) -> dict[str, object]:
    """The static part of a market in the 2025 transitional format (see the legacy sample)."""
    out = {k: v for k, v in doc.items() if k not in _LEGACY_DROP}
    out.update(
        {
            "category": "",
            "notional_value": 100,
            "response_price_units": "usd_cent",
            "risk_limit_cents": 0,
            "tick_size": 1,
            "liquidity": 0,
        }
    )
    if doc.get("mve_collection_ticker") is not None:
        out["mve_collection_ticker"] = doc["mve_collection_ticker"]
        out["mve_selected_legs"] = doc["mve_selected_legs"]
    return out


def _pack(frags: list[bytes]) -> tuple[U8, I64]:
    """Fragments -> (one uint8 buffer, offsets with a leading 0)."""
    off = np.zeros(len(frags) + 1, np.int64)
    np.cumsum([len(f) for f in frags], out=off[1:])
    return np.frombuffer(b"".join(frags), np.uint8), off


def legacy_fragment(frag: bytes) -> bytes:
    """Legacy static fragment from a pre-serialized current one (combo markets)."""
    doc = orjson.loads(b"{" + frag + b"}")
    return orjson.dumps(legacy_static(doc))[1:-1]


def _event_schedule(tpl: Template, anchor: int, variant: int, horizon_s: int = 0) -> list[int]:
    """Close times of one series' events, oldest first.

    Most events are open at the anchor (they close within the series' lead time); some series
    also have unopened next events, a recently settled one and an old one that has passed the
    historical cutoff, so every lifecycle state and /historical/* have data while ~75-85% of the
    markets are open. `horizon_s` adds events listed later (for long or accelerated runs).
    """
    c = tpl.cadence_s
    base = anchor - anchor % c + c
    n_open = max(1, tpl.lead_s // c)
    n_unopened = (2 if variant % 3 == 0 else 0) + n_open // 8 + horizon_s // c
    n_past = (1 if variant % 2 == 0 else 0) + n_open // 24
    closes = [base + j * c for j in range(-n_past, n_open + n_unopened)]
    if variant % 4 == 0:
        closes.insert(0, anchor - 45 * 86400 - (anchor % 86400))
    return closes


def build_universe(cfg: SimConfig) -> Universe:
    """Generate the deterministic universe for `cfg` (same seed + anchor => same universe)."""
    # Hundreds of thousands of small dicts trip the cyclic GC over and over; none form cycles.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(cfg)
    finally:
        if gc_was_enabled:
            gc.enable()


def _build(cfg: SimConfig) -> Universe:
    b = UniverseBuilder(cfg)
    target = max(cfg.markets, 1)
    total_w = sum(t.weight for t in TEMPLATES)
    game_markets: list[int] = []
    for ti, tpl in enumerate(TEMPLATES):
        share = round(target * tpl.weight / total_w) if ti < len(TEMPLATES) - 1 else 0
        if ti == len(TEMPLATES) - 1:
            share = target - len(b.mk["event"])
        _fill_template(b, tpl, share, game_markets)
    add_combos(b, cfg.combo_markets, game_markets)
    u = b.freeze()
    if cfg.dynamics == "calibrated":
        # Drawn from their own stream after the layout, so both dynamics share every ticker.
        acts = [t.activity for t in TEMPLATES]
        u.m_rate, u.m_dyn, u.m_depth = calibrated_activity(u, acts, cfg.seed, cfg.activity)
        u.dynamics = DYN_CALIBRATED
    else:
        u.m_dyn = np.zeros((u.n_markets, N_DYN))
    return u


def _fill_template(b: UniverseBuilder, tpl: Template, share: int, games: list[int]) -> None:
    """Add series of `tpl` (real variants first, then numbered ones) until `share` markets."""
    if share <= 0:
        return
    horizon_s = int(b.cfg.horizon_days * 86400)
    games_per_slot = 1
    variant_no = 0
    made = 0
    while made < share:
        if variant_no < len(tpl.variants):
            code, name, level = tpl.variants[variant_no]
        else:
            base = tpl.variants[variant_no % len(tpl.variants)]
            code = f"{base[0]}{variant_no // len(tpl.variants) + 1}"
            name = f"{base[1]} #{variant_no // len(tpl.variants) + 1}"
            level = base[2]
        variant_no += 1
        s = b.add_series(tpl, code, name)
        closes = _event_schedule(tpl, b.anchor, variant_no - 1, horizon_s)
        for j, close in enumerate(closes):
            if made >= share:
                break
            for g in range(games_per_slot):
                made += add_event_markets(b, tpl, s, code, name, level, close, j, g, games)
                if made >= share:
                    break
