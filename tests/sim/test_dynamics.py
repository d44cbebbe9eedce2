"""Contract: by default the simulator moves like Kalshi's recordings (most markets quiet, a few
busy), and the busy dynamics of old stay one knob away.

Real figures come from the repository's excerpts: tests/fixtures/realdata (5 multi tapes, 23
econ tapes) and tests/fixtures/kalshi/samples (the complete 12-market, 67-minute KXHIGHNY quote
sample); the simulator's from markets of the same kinds (20 per recorded market), both measured
by `kalshi_sim.calibration`. The excerpts are small, so the tolerances are those of their own
sampling noise (the 5-market excerpt's 15-s share is half the 222 tapes', its median print 7
contracts against 40): activity shares within a factor of 4, the econ median print within a
factor of 5, the share of prints sharing their instant within 0.2, the busiest 10% of econ
markets' share of prints within 0.2; the quote sample (complete, but one hour of one series):
moves within a factor of 2, trades within 2.5, one-tick spreads within 0.15 and the same median
spread. The busy dynamics miss these by factors of 5 to 1000. The full-data comparison is in
docs/SIMULATOR.md (bench/sim_dynamics.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from kalshi_sim import calibration as cal
from kalshi_sim.__main__ import parse_args
from kalshi_sim.config import SimConfig
from kalshi_sim.market_paths import params
from kalshi_sim.model import SyntheticModel
from kalshi_sim.universe_builder import build_universe

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REAL = FIXTURES / "realdata"
QUOTES = FIXTURES / "kalshi/samples/market_snapshots_KXHIGHNY_2025-11-24_1min_cents.csv"
ANCHOR = datetime(2026, 10, 20, tzinfo=UTC)
CONFIG = SimConfig(markets=40000, seed=1, anchor=ANCHOR)
PER_REAL = 20
"""Simulated markets of the same kind per recorded market."""


@pytest.fixture(scope="module")
def model() -> SyntheticModel:
    assert CONFIG.dynamics == "calibrated", "the default dynamics are the calibrated ones"
    return SyntheticModel(build_universe(CONFIG))


def _like(model: SyntheticModel, real: list[cal.Tape]) -> list[cal.Tape]:
    counts = cal.kind_counts(t.ticker for t in real)
    ms = cal.matched_markets(model, Counter({k: PER_REAL * n for k, n in counts.items()}), 1)
    return cal.simulated_tapes(model, ms)


def _within(sim: float, real: float, factor: float) -> bool:
    return real / factor <= sim <= real * factor


@pytest.mark.parametrize("name", ["multi_trades.csv.gz", "econ_trades.csv.gz"])
def test_trades_as_often_as_the_recorded_tapes(model: SyntheticModel, name: str) -> None:
    real = cal.read_tapes(REAL / name)
    sim = _like(model, real)
    assert len(sim) == PER_REAL * len(real)
    for width in (5, 15, 60):
        r = cal.interval_activity(real, width).share
        s = cal.interval_activity(sim, width).share
        assert _within(s, r, 4.0), f"{width}-s intervals with a print: {s:.5f} vs real {r:.5f}"


def test_print_sizes_instants_and_skew_like_the_tapes(model: SyntheticModel) -> None:
    multi = cal.read_tapes(REAL / "multi_trades.csv.gz")
    econ = cal.read_tapes(REAL / "econ_trades.csv.gz")
    sim_multi, sim_econ = _like(model, multi), _like(model, econ)
    # the 5-market multi excerpt prints a median of 7 contracts (the 222 tapes: 40), so only
    # the econ excerpt's sizes are compared
    (r,), (s,) = cal.print_sizes(econ, (0.5,)), cal.print_sizes(sim_econ, (0.5,))
    assert _within(s, r, 5.0), f"median print {s} vs real {r}"
    real_shared = cal.shared_instant_share(multi + econ)
    sim_shared = cal.shared_instant_share(sim_multi + sim_econ)
    assert abs(sim_shared - real_shared) <= 0.2, (sim_shared, real_shared)
    # skew depends on how many markets are ranked: compare groups as large as the excerpt
    real_skew = cal.activity_skew([len(t.times) for t in econ])
    order = np.random.default_rng(5).permutation(len(sim_econ))
    groups = np.array_split(order, PER_REAL)
    sim_skew = float(
        np.median([cal.activity_skew([len(sim_econ[i].times) for i in g]) for g in groups])
    )
    assert abs(sim_skew - real_skew) <= 0.2, (sim_skew, real_skew)


def test_quotes_move_like_the_recorded_sample(model: SyntheticModel) -> None:
    real = cal.read_quote_snapshots(QUOTES)
    assert (len(real), len(real[0].times)) == (12, 67)
    sim = cal.weather_quotes(model, ANCHOR.timestamp() + 1.5 * 86400, 67)
    assert len(sim) == 12
    r, s = cal.quote_changes(real).share, cal.quote_changes(sim).share
    assert _within(s, r, 2.0), f"bid or ask moved in {s:.3f} of minutes vs real {r:.3f}"
    r, s = cal.volume_changes(real).share, cal.volume_changes(sim).share
    assert _within(s, r, 2.5), f"volume grew in {s:.3f} of minutes vs real {r:.3f}"
    real_spreads, sim_spreads = cal.spreads_cents(real), cal.spreads_cents(sim)
    r_one, s_one = cal.spread_shares(real_spreads)["1c"], cal.spread_shares(sim_spreads)["1c"]
    assert abs(s_one - r_one) <= 0.15, f"one-tick spreads {s_one:.2f} vs real {r_one:.2f}"
    assert cal.quantiles(sim_spreads, (0.5,)) == cal.quantiles(real_spreads, (0.5,))


def test_busy_dynamics_and_the_activity_knob(model: SyntheticModel) -> None:
    busy = SyntheticModel(build_universe(replace(CONFIG, dynamics="busy")))
    # the same universe: only how it moves differs
    assert busy.u.m_ticker == model.u.m_ticker
    assert busy.u.dynamics == params.DYN_BUSY
    assert model.u.dynamics == params.DYN_CALIBRATED
    rng = np.random.default_rng(3)
    ms = np.sort(rng.choice(model.u.n_markets, 2000, replace=False)).astype(np.int64)
    start = ANCHOR.timestamp() + 1.5 * 86400
    quiet = cal.poll_changes(model, ms, start, 41, 15.0)
    moving = cal.poll_changes(busy, ms, start, 41, 15.0)
    assert moving > 10 * quiet, (moving, quiet)
    livelier = SyntheticModel(build_universe(replace(CONFIG, markets=3000, activity=4.0)))
    base = SyntheticModel(build_universe(replace(CONFIG, markets=3000)))
    sample = range(0, 3000, 7)
    prints = sum(len(t.times) for t in cal.simulated_tapes(base, sample))
    more = sum(len(t.times) for t in cal.simulated_tapes(livelier, sample))
    assert more > 2 * prints > 0


def test_dynamics_are_configured_and_checked() -> None:
    assert SimConfig().dynamics == "calibrated"
    assert parse_args(["--dynamics", "busy"]).dynamics == "busy"
    assert parse_args(["--activity", "3"]).activity == 3.0
    with pytest.raises(ValueError, match="dynamics"):
        SimConfig(dynamics="lively")
    with pytest.raises(ValueError, match="activity"):
        SimConfig(activity=0.0)
    for argv in (["--activity", "0"], ["--dynamics", "busy", "--activity", "2"]):
        with pytest.raises(SystemExit):
            parse_args(argv)
