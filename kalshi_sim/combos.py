"""Combo (KXMVE...) markets: parlays of 2-4 legs on game markets of distinct events."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from kalshi_sim.catalogue import COMBO_SERIES, LINEAR_CENT, Template
from kalshi_sim.universe import STEP_S

if TYPE_CHECKING:
    from kalshi_sim.universe_builder import UniverseBuilder


def add_combos(b: UniverseBuilder, n: int, games: list[int]) -> None:
    """Combo markets: 2-4 legs on game markets of distinct events, one market per combo event.

    Written against the builder's lists directly with pre-serialized JSON: at Kalshi's scale
    (~100k combos) the generic add_event/add_market path would dominate startup.
    """
    if n <= 0:
        return
    mk, ev = b.mk, b.ev
    anchor = b.anchor
    pool = [m for m in games if int(mk["close"][m]) > anchor + 3600]
    pool_events = {int(mk["event"][m]) for m in pool}
    if len(pool_events) < 4:
        return
    tpl = Template(
        "KXMVE",
        (),
        "Sports",
        "",
        "custom",
        0,
        0,
        "combo",
        1,
        0.0,
        "",
        0.0,
        fee_type="quadratic_with_maker_fees",
    )
    series_ids = [b.add_series(tpl, code[len("KXMVE") :], title) for code, title in COMBO_SERIES]
    for s in series_ids:
        b.u.s_json[s] = b.u.s_json[s].replace(
            b'"categories":["Sports"]', b'"categories":["Sports","Parlays"]'
        )
    m_tick = b.u.m_ticker
    e_tick = b.u.e_ticker
    n_base, n_base_e = len(mk["event"]), len(e_tick)
    rng = np.random.default_rng([b.seed, 0x4B584D5645])
    # Vectorized draws: up to 4 candidate legs per combo, duplicates of an event dropped.
    pool_a = np.asarray(pool, np.int64)
    m_event = np.asarray(mk["event"], np.int64)
    m_open = np.asarray(mk["open"], np.int64)
    m_close = np.asarray(mk["close"], np.int64)
    k = 2 + rng.integers(0, 3, n)
    picks = pool_a[rng.integers(0, len(pool_a), (n, 4))]
    pev = m_event[picks]
    valid = np.arange(4)[None, :] < k[:, None]
    for j in range(1, 4):
        for i in range(j):
            valid[:, j] &= pev[:, j] != pev[:, i]
    keep = valid.sum(axis=1) >= 2
    picks, valid = picks[keep], valid[keep]
    n_made = int(keep.sum())
    sides = rng.random((n_made, 4)) < 0.8
    o = np.where(valid, m_open[picks], np.iinfo(np.int64).min).max(axis=1)
    cl = np.where(valid, m_close[picks], np.iinfo(np.int64).min).max(axis=1)
    det = cl + 60 * rng.integers(5, 60, n_made)
    created = o - 60 * rng.integers(60, 1500, n_made)
    phase = rng.integers(0, STEP_S, n_made)
    rate = 0.02 * (0.2 + rng.random(n_made))
    hs = 3 + rng.integers(0, 5, n_made)
    depth = 3 + rng.integers(0, 6, n_made)
    hexids = [f"{x:016X}" for x in rng.integers(0, 2**63 - 1, n_made).tolist()]

    def iso(ts: npt.NDArray[np.int64]) -> list[str]:
        out: list[str] = [
            x + "Z" for x in np.datetime_as_string(ts.astype("datetime64[s]"), unit="s").tolist()
        ]
        return out

    s_open, s_close, s_det, s_created = iso(o), iso(cl), iso(det), iso(created)
    s_exp, s_upd = iso(cl + 7 * 86400), iso(o - o % 3600)
    # Leg JSON and label pieces per pool market, for each side.
    leg_json: dict[tuple[int, bool], str] = {}
    leg_label: dict[tuple[int, bool], str] = {}
    for m_ in set(picks[valid].tolist()):
        for yes in (True, False):
            side = "yes" if yes else "no"
            leg_json[(m_, yes)] = (
                f'{{"event_ticker":"{e_tick[int(m_event[m_])]}","market_ticker":"{m_tick[m_]}",'
                f'"side":"{side}"}}'
            )
            leg_label[(m_, yes)] = f"{side} {m_tick[m_].rsplit('-', 1)[-1]}"
    series_of = [series_ids[c % len(series_ids)] for c in range(n_made)]
    legs_lists = [
        [(m_, y) for m_, y, v in zip(row_m, row_s, row_v, strict=True) if v]
        for row_m, row_s, row_v in zip(picks.tolist(), sides.tolist(), valid.tolist(), strict=True)
    ]
    seen = b.seen_events
    e_frags: list[bytes] = []
    m_frags: list[bytes] = []
    for c in range(n_made):
        s = series_of[c]
        st = b.u.s_ticker[s]
        hexid = hexids[c]
        ev_ticker = f"{st}-S{s_open[c][:4]}{hexid[:11]}"
        if ev_ticker in seen:
            ev_ticker = f"{ev_ticker}{c}"
        seen.add(ev_ticker)
        e_tick.append(ev_ticker)
        legs = legs_lists[c]
        label = ",".join([leg_label[x] for x in legs])
        qlabel = '"' + label + '"'
        ticker = f"{ev_ticker}-{hexid[5:16]}"
        m_tick.append(ticker)
        e_frags.append(
            (
                '"available_on_brokers":false,"category":"Sports","collateral_return_type":"",'
                f'"event_ticker":"{ev_ticker}","exchange_index":0,'
                '"fee_multiplier_override":null,"fee_type_override":null,'
                f'"last_updated_ts":"{s_upd[c]}","mutually_exclusive":false,'
                f'"product_metadata":null,"series_ticker":"{st}",'
                '"settlement_sources":[],"strike_date":null,"strike_period":"",'
                f'"sub_title":"{len(legs)} legs","title":"Parlay"'
            ).encode()
        )
        m_frags.append(
            (
                f'"can_close_early":false,"cap_strike":null,"close_time":"{s_close[c]}",'
                f'"created_time":"{s_created[c]}","custom_strike":null,'
                f'"early_close_condition":null,"event_ticker":"{ev_ticker}","exchange_index":0,'
                f'"expected_expiration_time":"{s_det[c]}","expiration_time":"{s_exp[c]}",'
                '"fee_waiver_expiration_time":null,"floor_strike":null,'
                '"fractional_trading_enabled":false,"functional_strike":null,'
                f'"is_provisional":null,"latest_expiration_time":"{s_exp[c]}",'
                '"liquidity_dollars":"0.0000","market_type":"binary",'
                f'"mve_collection_ticker":"{st}-R",'
                f'"mve_selected_legs":[{",".join([leg_json[x] for x in legs])}],'
                f'"no_sub_title":{qlabel},'
                f'"notional_value_dollars":"1.0000","occurrence_datetime":"{s_close[c]}",'
                f'"open_time":"{s_open[c]}","price_level_structure":"linear_cent",'
                '"price_ranges":[{"start":"0.0000","end":"1.0000","step":"0.0100"}],'
                '"primary_participant_key":null,'
                f'"rules_primary":"If every leg resolves as selected ({label}), then the market'
                ' resolves to Yes.","rules_secondary":"","settlement_bounds_type":"default",'
                '"settlement_floor_dollars":null,"settlement_timer_seconds":60,'
                f'"strike_type":"custom","subtitle":"","ticker":"{ticker}","title":{qlabel},'
                f'"yes_sub_title":{qlabel}'
            ).encode()
        )
    rows_m = np.arange(n_base, n_base + n_made)
    ev["series"].extend(series_of)
    ev["open"].extend(o.tolist())
    ev["close"].extend(cl.tolist())
    ev["phase"].extend(phase.tolist())
    ev["first"].extend(rows_m.tolist())
    ev["last"].extend((rows_m + 1).tolist())
    ev["mve"].extend([True] * n_made)
    ev["c"].extend([0.0] * n_made)
    ev["s"].extend([1.0] * n_made)
    mk["event"].extend(range(n_base_e, n_base_e + n_made))
    mk["series"].extend(series_of)
    mk["lo"].extend([math.nan] * n_made)
    mk["hi"].extend([math.nan] * n_made)
    mk["open"].extend(o.tolist())
    mk["close"].extend(cl.tolist())
    mk["det"].extend(det.tolist())
    mk["settle"].extend((det + 60).tolist())
    mk["created"].extend(created.tolist())
    mk["mve"].extend([True] * n_made)
    mk["rate"].extend(rate.tolist())
    mk["oi"].extend([0.6] * n_made)
    mk["hs"].extend(hs.tolist())
    mk["tick"].extend([LINEAR_CENT] * n_made)
    mk["depth"].extend(depth.tolist())
    b.e_static.extend(e_frags)
    b.m_static.extend(m_frags)
    counts = valid.sum(axis=1)
    start = np.full(n_base + n_made + 1, -1, np.int64)
    start[n_base] = 0
    start[n_base + 1 :] = np.cumsum(counts)
    b.u.leg_start = start
    b.u.leg_market = picks[valid]
    b.u.leg_yes = sides[valid]
