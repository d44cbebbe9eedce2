"""Report (not a speed benchmark): how the simulator moves, next to Kalshi's recordings.

    .venv/bin/python -m bench.sim_dynamics --data DIR     # or KALSHI_REALDATA_DIR=DIR
        [--quotes CSV] [--markets 60000] [--seed 1] [--json]

Reads the real data sets found in DIR (the layouts of docs/REALDATA.md: `multi_trades` +
`multi_closed_markets`, `econ_trades`, `nba_candles_1m`) and the top-of-book sample (`--quotes`,
default: the repository's copy of market_snapshots_KXHIGHNY_2025-11-24_1min_cents.csv), then
builds the simulator's universe twice (calibrated dynamics, the default, and busy, the model
before issue 12.5; same seed, same markets) and measures both with the same functions
(`kalshi_sim.calibration`) over as many markets as each data set holds, over their whole lives:
- trade tapes: simulated markets of the same kinds (crypto + sports for multi, economics for
  econ, game winners for nba) that trade at least once, sampled with a fixed seed;
- quotes: the 12 markets of the simulator's KXHIGHNY day-of and next-day events, sampled once a
  minute for 67 minutes ending 5 minutes before the day-of event's close (the recorded sample:
  12 markets, 2 events, 67 one-minute snapshots);
- catalogue polls (simulator only, nothing recorded to compare with): the share of open markets
  whose served row changes between two polls 5, 15 or 60 s apart.
Prints markdown tables (docs/SIMULATOR.md) or, with --json, the figures. Exits 2 without data.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from kalshi_sim import calibration as cal
from kalshi_sim.config import SimConfig
from kalshi_sim.model import SyntheticModel
from kalshi_sim.universe_builder import build_universe

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUOTES = (
    ROOT / "tests/fixtures/kalshi/samples/market_snapshots_KXHIGHNY_2025-11-24_1min_cents.csv"
)
ANCHOR = datetime(2026, 10, 20, tzinfo=UTC)
"""A fixed universe epoch: the report is reproducible on any day."""
WIDTHS = (5, 15, 60)
BUSY_ECON_MARKETS = 60
"""The busy model prints ~130,000 times over an economics market's 75 days: a sample will do."""
Row = tuple[str, list[str]]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if x >= 0.01 or x == 0 else f"{100 * x:.2f}%"


def _q(values: Iterable[object]) -> str:
    return " / ".join(str(v) for v in values)


def _find(root: Path, name: str) -> Path | None:
    for p in (root / f"{name}.csv", root / f"{name}.csv.gz"):
        if p.exists():
            return p
    return None


@dataclass
class Sims:
    """The simulator under both dynamics (same seed, same universe layout)."""

    calibrated: SyntheticModel
    busy: SyntheticModel

    def both(self) -> list[SyntheticModel]:
        return [self.calibrated, self.busy]


def tape_rows(tapes_by_col: list[list[cal.Tape]], figures: dict[str, Any], key: str) -> list[Row]:
    """The trade-tape measures of each column (real, calibrated, busy)."""
    rows: list[Row] = [("markets (with >= 1 print)", [str(len(t)) for t in tapes_by_col])]
    rows.append(("prints", [str(sum(len(x.times) for x in t)) for t in tapes_by_col]))
    for w in WIDTHS:
        acts = [cal.interval_activity(t, w) for t in tapes_by_col]
        rows.append((f"{w}-s intervals with >= 1 print", [_pct(a.share) for a in acts]))
        rows.append(
            (
                f"prints per active {w}-s interval: p50 / p90 / p99 (mean)",
                [f"{_q(a.per_active)} ({a.mean_per_active:.1f})" for a in acts],
            )
        )
        figures[f"{key}.share_{w}s"] = [a.share for a in acts]
    sizes = [cal.print_sizes(t) for t in tapes_by_col]
    rows.append(
        (
            "contracts per print: p10 / p25 / p50 / p75 / p90 / p99 (mean)",
            [
                f"{_q(s)} ({cal.mean_print_size(t):.0f})"
                for s, t in zip(sizes, tapes_by_col, strict=True)
            ],
        )
    )
    figures[f"{key}.sizes"] = [list(s) for s in sizes]
    shared = [cal.shared_instant_share(t) for t in tapes_by_col]
    rows.append(("prints sharing their instant with another", [_pct(x) for x in shared]))
    skews = [cal.activity_skew([len(x.times) for x in t]) for t in tapes_by_col]
    rows.append(("prints made by the busiest 10% of markets", [_pct(x) for x in skews]))
    figures[f"{key}.skew"] = skews
    lives = [
        cal.quantiles([float(x.times[-1] - x.times[0]) / 3600 for x in t], (0.5, 0.9))
        for t in tapes_by_col
    ]
    rows.append(
        (
            "active life (first to last print), hours: p50 / p90",
            [_q(f"{v:.1f}" for v in lv) for lv in lives],
        )
    )
    return rows


def section_tapes(
    name: str, real: list[cal.Tape], sims: Sims, seed: int, figures: dict[str, Any]
) -> list[Row]:
    cols = [real]
    counts = cal.kind_counts(t.ticker for t in real)
    for model in sims.both():
        if model is sims.busy and name == "econ":
            counts = Counter({k: min(n, BUSY_ECON_MARKETS) for k, n in counts.items()})
        ms = cal.matched_markets(model, counts, seed)
        cols.append(cal.simulated_tapes(model, ms))
    return tape_rows(cols, figures, name)


def section_untraded(volumes: dict[str, int], sims: Sims, seed: int) -> Row:
    out = [_pct(cal.untraded_share(list(volumes.values())))]
    counts = cal.kind_counts(volumes)
    for model in sims.both():
        ms = cal.matched_markets(model, counts, seed, traded=False)
        out.append(_pct(cal.untraded_share(cal.simulated_volumes(model, ms))))
    return (f"markets never traded (of {len(volumes)} listed)", out)


def section_nba(
    real: list[cal.MinuteBars], sims: Sims, seed: int, figures: dict[str, Any]
) -> list[Row]:
    cols = [real]
    for model in sims.both():
        ms = cal.matched_markets(model, Counter(game=len(real)), seed, series_prefix="KXNBA")
        cols.append([cal.minute_bars(t) for t in cal.simulated_tapes(model, ms)])
    acts = [cal.traded_minute_share(c) for c in cols]
    figures["nba.minute_share"] = [a.share for a in acts]
    skews = [cal.activity_skew([int(b.volumes.sum()) for b in c]) for c in cols]
    return [
        ("markets", [str(a.markets) for a in acts]),
        ("minutes with >= 1 trade (active life)", [_pct(a.share) for a in acts]),
        (
            "contracts per traded minute: p10 / p25 / p50 / p75 / p90 / p99",
            [_q(a.per_active) for a in acts],
        ),
        ("contracts traded by the busiest 10% of markets", [_pct(x) for x in skews]),
    ]


def section_quotes(
    real: list[cal.QuoteSeries], sims: Sims, figures: dict[str, Any]
) -> tuple[list[Row], str]:
    n = len(real[0].times) if real else 67
    cols = [real]
    where = ""
    for model in sims.both():
        quotes = cal.weather_quotes(model, float(ANCHOR.timestamp()) + 1.5 * 86400, n)
        cols.append(quotes)
        events = sorted({q.ticker.rsplit("-", 1)[0] for q in quotes})
        start = datetime.fromtimestamp(float(quotes[0].times[0]), UTC)
        where = (
            f"{len(quotes)} markets of {', '.join(events)}, {n} snapshots from"
            f" {start:%Y-%m-%d %H:%M}Z"
        )
    changes = [cal.quote_changes(c) for c in cols]
    figures["quotes.change_share"] = [c.share for c in changes]
    spreads = [cal.spreads_cents(c) for c in cols]
    shares = [cal.spread_shares(s) for s in spreads]
    figures["quotes.spread_1c"] = [s.get("1c", 0.0) for s in shares]
    one_sided = [
        1 - len(s) / max(1, sum(len(x.times) for x in c))
        for s, c in zip(spreads, cols, strict=True)
    ]
    rows: list[Row] = [
        ("markets x snapshots", [f"{len(c)} x {len(c[0].times) if c else 0}" for c in cols]),
        ("1-min intervals where the bid or ask moved", [_pct(c.share) for c in changes]),
        (
            "1-min intervals where the volume grew (a trade)",
            [_pct(cal.volume_changes(c).share) for c in cols],
        ),
        ("snapshots with one side empty (decided markets)", [_pct(x) for x in one_sided]),
        (
            "spread 1c / 2c / 3c / 4c / 5c / wider (two-sided snapshots)",
            [" / ".join(_pct(v) for v in sh.values()) for sh in shares],
        ),
        (
            "spread, cents: p50 / p90 / p99",
            [_q(cal.quantiles(s, (0.5, 0.9, 0.99))) if s else "-" for s in spreads],
        ),
    ]
    sizes = [cal.top_sizes(c) for c in cols]
    rows.append(
        (
            "resting contracts at the best bid/ask: p10 / p50 / p90",
            [_q(cal.quantiles(s, (0.1, 0.5, 0.9))) if s else "not recorded" for s in sizes],
        )
    )
    values = [cal.book_values(c) for c in cols]
    rows.append(
        (
            "dollars resting in the book (liquidity): p10 / p50 / p90",
            [
                _q(f"{v:,.0f}" for v in cal.quantiles(vs, (0.1, 0.5, 0.9))) if vs else "-"
                for vs in values
            ],
        )
    )
    return rows, where


def section_polls(sims: Sims, seed: int, figures: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    t0 = float(ANCHOR.timestamp()) + 1.5 * 86400
    for w in WIDTHS:
        vals = ["-"]
        shares = []
        for model in sims.both():
            rng = np.random.default_rng([seed, 11])
            ms = np.sort(
                rng.choice(model.u.n_markets, size=min(5000, model.u.n_markets), replace=False)
            )
            share = cal.poll_changes(model, ms.astype(np.int64), t0, 1 + 1200 // w, float(w))
            shares.append(share)
            vals.append(_pct(share))
        figures[f"polls.changed_{w}s"] = shares
        rows.append((f"open markets whose row changed since the previous {w}-s poll", vals))
    return rows


def _table(title: str, rows: list[Row]) -> str:
    head = (
        f"| {title} | Kalshi (recorded) | simulator, calibrated | simulator, busy |\n"
        "|---|---|---|---|\n"
    )
    return head + "".join(f"| {label} | {' | '.join(vals)} |\n" for label, vals in rows)


def _timed(what: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    out = fn()
    sys.stderr.write(f"{what}: {time.perf_counter() - t0:.1f} s\n")
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=os.environ.get("KALSHI_REALDATA_DIR"))
    p.add_argument("--quotes", type=Path, default=DEFAULT_QUOTES)
    p.add_argument("--markets", type=int, default=60000, help="simulated universe size")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    a = p.parse_args(argv)
    root: Path | None = a.data
    multi = _find(root, "multi_trades") if root else None
    econ = _find(root, "econ_trades") if root else None
    nba = _find(root, "nba_candles_1m") if root else None
    if not (multi or econ or nba):
        sys.stderr.write("no real data: pass --data DIR or set KALSHI_REALDATA_DIR\n")
        raise SystemExit(2)
    started = time.perf_counter()

    def model(dynamics: str) -> SyntheticModel:
        cfg = SimConfig(markets=a.markets, seed=a.seed, anchor=ANCHOR, dynamics=dynamics)
        return SyntheticModel(build_universe(cfg))

    sims = Sims(
        _timed("calibrated universe", lambda: model("calibrated")),
        _timed("busy universe", lambda: model("busy")),
    )
    figures: dict[str, Any] = {}
    out: list[str] = []
    if multi:
        real = _timed("read multi", lambda: cal.read_tapes(multi))
        rows = _timed("multi", lambda: section_tapes("multi", real, sims, a.seed, figures))
        closed = _find(root, "multi_closed_markets") if root else None
        if closed:
            rows.append(section_untraded(cal.read_market_volumes(closed), sims, a.seed))
        out.append(_table(f"multi: {multi.name} (crypto + sports)", rows))
    if econ:
        real = _timed("read econ", lambda: cal.read_tapes(econ))
        rows = _timed("econ", lambda: section_tapes("econ", real, sims, a.seed, figures))
        out.append(_table(f"econ: {econ.name} (economics)", rows))
    if nba:
        bars = _timed("read nba", lambda: cal.read_minute_bars(nba))
        rows = _timed("nba", lambda: section_nba(bars, sims, a.seed, figures))
        out.append(_table(f"nba: {nba.name} (game winners)", rows))
    if a.quotes and a.quotes.exists():
        series = cal.read_quote_snapshots(a.quotes)
        rows, where = _timed("quotes", lambda: section_quotes(series, sims, figures))
        out.append(_table(f"quotes: {a.quotes.name}; simulated: {where}", rows))
    rows = _timed("polls", lambda: section_polls(sims, a.seed, figures))
    out.append(_table("catalogue polls (5,000 simulated markets over 20 minutes)", rows))
    figures["machine"] = (
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    figures["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
    figures["seconds"] = round(time.perf_counter() - started, 1)
    if a.json:
        sys.stdout.write(
            orjson.dumps(
                figures, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=_default
            ).decode()
            + "\n"
        )
        return
    sys.stdout.write(
        f"{figures['date']}, {figures['machine']}; {a.markets} simulated markets, seed {a.seed};"
        f" {figures['seconds']} s\n\n"
    )
    sys.stdout.write("\n".join(out))


def _default(x: object) -> object:
    if isinstance(x, Decimal):
        return str(x)
    raise TypeError


if __name__ == "__main__":
    main()
