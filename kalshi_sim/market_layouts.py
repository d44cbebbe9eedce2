"""How each kind of template lays out an event's markets: strikes, tickers, titles and rules.

brackets (disjoint ranges), thresholds (half-lines, or spreads and totals for games), game
winners, candidate lists and single mention markets, each mapped onto its event's latent path
(`Universe.m_lo`, `m_hi`: see `kalshi_sim.universe`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from kalshi_sim.catalogue import CANDIDATES, MENTION_WORDS, TEAMS, Template

if TYPE_CHECKING:
    from kalshi_sim.universe_builder import UniverseBuilder

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

_ND = NormalDist()


def _date_code(ts: int, hourly: bool = False) -> str:
    d = datetime.fromtimestamp(ts, UTC)
    code = f"{d.year % 100:02d}{_MONTHS[d.month - 1]}{d.day:02d}"
    return code + (f"{d.hour:02d}" if hourly else "")


def _fmt_strike(x: float, step: float) -> str:
    if step >= 1:
        return f"{x:g}"
    if abs(x) >= 1000:
        return f"{x:.2f}"
    return f"{x:.4g}"


def _nice_step(level: float, sd: float, n: int) -> float:
    raw = max(sd * 4.0 / max(n, 1), 1e-9)
    mag = float(10.0 ** math.floor(math.log10(raw)))
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * mag:
            return float(mult * mag)
    return float(10 * mag)


def add_event_markets(
    b: UniverseBuilder,
    tpl: Template,
    s: int,
    code: str,
    name: str,
    level: float,
    close: int,
    j: int,
    g: int,
    games: list[int],
) -> int:
    series_ticker = b.u.s_ticker[s]
    h = [b.rnd.random() for _ in range(8)]
    open_ts = close - tpl.lead_s - 60 * int(h[0] * tpl.cadence_s / 120)
    life_days = (close - open_ts) / 86400.0
    sq = math.sqrt(life_days)
    date_txt = datetime.fromtimestamp(close, UTC).strftime("%b %d, %Y")
    activity = math.exp(-3.0 + 2.2 * b.rnd.gauss(0.0, 1.0))
    kind = tpl.kind
    if kind in ("game2", "game3") or (kind == "thresholds" and tpl.frequency == "custom"):
        t1 = TEAMS[int(h[1] * len(TEAMS))]
        t2 = TEAMS[(int(h[1] * len(TEAMS)) + 1 + int(h[2] * (len(TEAMS) - 1))) % len(TEAMS)]
        ev_ticker = (
            f"{series_ticker}-{_date_code(close)}{datetime.fromtimestamp(close, UTC):%H%M}{t1}{t2}"
        )
        title = tpl.title.format(team1=t1, team2=t2)
        sub = f"{t1} vs {t2} ({datetime.fromtimestamp(close, UTC):%b %d})"
    elif kind == "candidates":
        ev_ticker = f"{series_ticker}-{datetime.fromtimestamp(close, UTC).year % 100:02d}"
        title = tpl.title.format(name=name)
        sub = name
        t1 = t2 = ""
    else:
        hourly = tpl.frequency == "hourly"
        ev_ticker = f"{series_ticker}-{_date_code(close, hourly)}"
        if tpl.frequency == "monthly":
            d = datetime.fromtimestamp(close, UTC)
            ev_ticker = f"{series_ticker}-{d.year % 100:02d}{_MONTHS[d.month - 1]}"
        title = tpl.title.format(
            name=name,
            date=date_txt,
            month=datetime.fromtimestamp(close, UTC).strftime("%B %Y"),
            word="{word}",
        )
        sub = date_txt
        t1 = t2 = ""
    if ev_ticker in b.u.event_index or ev_ticker in b.seen_events:
        ev_ticker = f"{ev_ticker}{g + 2}" if g else f"{ev_ticker}X{j}"
        if ev_ticker in b.seen_events:
            return 0
    b.seen_events.add(ev_ticker)
    sd_disp = max(level * tpl.sd_frac * math.sqrt(max(life_days, 1 / 24)), 1e-9)
    center = level * (1 + tpl.sd_frac * 2.0 * (float(h[3]) - 0.5)) if level else 0.0
    mutually_exclusive = kind in ("brackets", "game2", "game3", "candidates")
    e = b.add_event(
        s,
        tpl,
        ticker=ev_ticker,
        title=title.replace("{word}", "a word"),
        sub_title=sub,
        open_ts=open_ts,
        close_ts=close,
        center=center,
        scale=sd_disp,
        mutually_exclusive=mutually_exclusive,
        strike_date=close if kind in ("brackets", "thresholds") else None,
    )
    made = 0
    base_rate = activity
    if kind == "brackets":
        n = tpl.n_markets
        step = tpl.step or _nice_step(level, sd_disp, n - 2)
        first_edge = round(center / step) * step - step * (n - 2) / 2
        edges = [first_edge + i * step for i in range(n - 1)]
        yedges = [(x - center) / sd_disp * sq for x in edges]
        for i in range(n):
            if i == 0:
                lo_y, hi_y, lo_d, hi_d = -math.inf, yedges[0], None, edges[0]
                suffix = f"T{_fmt_strike(edges[0], step)}"
                ys = f"{_fmt_strike(edges[0], step)}{tpl.unit} or below"
                strike: dict[str, object] = {"strike_type": "less", "cap_strike": hi_d}
            elif i == n - 1:
                lo_y, hi_y, lo_d, hi_d = yedges[-1], math.inf, edges[-1], None
                suffix = f"T{_fmt_strike(edges[-1], step)}"
                ys = f"{_fmt_strike(edges[-1], step)}{tpl.unit} or above"
                strike = {"strike_type": "greater", "floor_strike": lo_d}
            else:
                lo_y, hi_y = yedges[i - 1], yedges[i]
                lo_d, hi_d = edges[i - 1], edges[i]
                mid = (lo_d + hi_d) / 2
                suffix = f"B{_fmt_strike(mid, step / 2)}"
                ys = f"{_fmt_strike(lo_d, step)}{tpl.unit} to {_fmt_strike(hi_d, step)}{tpl.unit}"
                strike = {"strike_type": "between", "floor_strike": lo_d, "cap_strike": hi_d}
            if suffix in ("T" + _fmt_strike(edges[0], step),) and i == n - 1:
                suffix = suffix + "U"
            b.add_market(
                e,
                tpl,
                suffix=suffix,
                lo=lo_y,
                hi=hi_y,
                yes_sub=ys,
                no_sub=ys,
                title=title,
                rules=f"If the {title.rstrip('?').lower()} is {ys}, then the market"
                " resolves to Yes.",
                strike=strike,
                rate=base_rate * (0.3 + float(h[4])),
            )
            made += 1
    elif kind == "thresholds":
        n = tpl.n_markets
        step = tpl.step or _nice_step(level, sd_disp, n) if level else 1.0
        disp_center = center if level else 0.0
        for i in range(n):
            x = round(disp_center / step) * step + (i - n / 2 + 0.5) * step
            if tpl.frequency == "hourly":
                x = x - 0.01
            y = (x - disp_center) / sd_disp * sq if level else (i - n / 2 + 0.5) / n * 3 * sq
            if tpl.frequency == "custom":
                x = (
                    (i - n // 2) * 1.5 + 0.5
                    if "SPREAD" in series_ticker
                    else level + (i - n // 2) * 3 + 0.5
                )
                suffix = (
                    f"{t1}{_fmt_strike(x, 0.5)}"
                    if "SPREAD" in series_ticker
                    else f"{_fmt_strike(x, 0.5)}"
                )
                ys = (
                    f"{t1} wins by over {x:g}"
                    if "SPREAD" in series_ticker
                    else f"Over {x:g} points"
                )
            else:
                suffix = f"T{_fmt_strike(x, step)}"
                ys = f"{tpl.unit}{_fmt_strike(x, step)} or above"
            b.add_market(
                e,
                tpl,
                suffix=suffix,
                lo=y,
                hi=math.inf,
                yes_sub=ys,
                no_sub=ys,
                title=title,
                rules=f"If {title.rstrip('?')} is {ys}, then the market resolves to Yes.",
                strike={"strike_type": "greater", "floor_strike": x},
                rate=base_rate * math.exp(-abs(i - n / 2) / 4),
            )
            made += 1
    elif kind in ("game2", "game3"):
        shift = _ND.inv_cdf(0.25 + 0.5 * h[5]) * sq
        teams = (t1, t2)
        for i, team in enumerate(teams):
            lo_y, hi_y = (shift, math.inf) if i == 0 else (-math.inf, shift)
            m = b.add_market(
                e,
                tpl,
                suffix=team,
                lo=lo_y,
                hi=hi_y,
                yes_sub=team,
                no_sub=team,
                title=title,
                rules=f"If {team} wins the {t1} vs {t2} game, then the market resolves to Yes.",
                strike={"strike_type": "structured", "custom_strike": {"team": team}},
                rate=base_rate * 4,
            )
            games.append(m)
            made += 1
    elif kind == "candidates":
        n = tpl.n_markets
        w = np.asarray([b.rnd.random() for _ in range(n)]) ** 3 + 0.01
        cum = np.cumsum(w / w.sum())[:-1]
        edges_y = [_ND.inv_cdf(float(c)) * sq for c in cum]
        for i in range(n):
            person = CANDIDATES[i % len(CANDIDATES)] + ("" if i < len(CANDIDATES) else f" {i}")
            lo_y = -math.inf if i == 0 else edges_y[i - 1]
            hi_y = math.inf if i == n - 1 else edges_y[i]
            suffix = (person.split()[0][0] + person.split()[1]).upper()[:6] + (
                str(i) if i >= len(CANDIDATES) else ""
            )
            b.add_market(
                e,
                tpl,
                suffix=suffix,
                lo=lo_y,
                hi=hi_y,
                yes_sub=person,
                no_sub=person,
                title=title,
                rules=f"If the answer to '{title}' is {person}, then the market resolves to Yes.",
                strike={"strike_type": "custom", "custom_strike": {"Person": person}},
                rate=base_rate * 0.5,
            )
            made += 1
    else:  # binary
        word = MENTION_WORDS[int(h[6] * len(MENTION_WORDS))]
        shift = _ND.inv_cdf(0.1 + 0.8 * h[7]) * sq
        t = tpl.title.format(word=word, name=name)
        b.add_market(
            e,
            tpl,
            suffix=word.upper().replace(" ", "")[:8],
            lo=shift,
            hi=math.inf,
            yes_sub=word,
            no_sub=word,
            title=t,
            rules=f"If {word} is said during {name}, then the market resolves to Yes.",
            strike={"strike_type": "custom", "custom_strike": {"Word": word}},
            rate=base_rate,
        )
        made += 1
    return made
