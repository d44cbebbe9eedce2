"""The universe: the static listing a simulator serves, every series, event and market.

"Universe" has one meaning in kalshi_sim: this table of what is listed, one row per series,
event and market in numpy arrays: tickers, lifecycle times, strikes, combo legs, per-market
activity parameters and the pre-serialized static JSON, so a page of 1,000 markets is a join of
bytes and a vectorized quote computation. It holds no prices, quotes or trades: a model computes
those from it on demand (`kalshi_sim.model.SyntheticModel` through `kalshi_sim.market_paths`,
or `kalshi_sim.replay.ReplayModel` from recorded snapshots). The synthetic universe is
generated from `kalshi_sim.catalogue` by `kalshi_sim.universe_builder` (and cached on disk by
`kalshi_sim.universe_cache`); a replay builds one from its recording's tickers. Recorded mode
serves a `kalshi_sim.recorded.data.RecordedData`, not a universe.

What a market's strike means (`m_lo`, `m_hi`): every event owns a latent Brownian motion Y
running from its open to its close; a market resolves YES when Y at close falls in its interval
[lo, hi) (brackets are disjoint intervals, so they are mutually exclusive; thresholds are
half-lines). Its fair price at time t is P(lo <= Y(close) < hi | Y(t)), a martingale, so quotes
are calibrated against results by construction. Combo (KXMVE...) markets multiply the
probabilities of legs on independent events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
BOOL = npt.NDArray[np.bool_]
U8 = npt.NDArray[np.uint8]

STEP_S = 60
"""Quote/trade grid of every event: a quote holds for one step (phase-shifted per event)."""

_ts_cache: dict[int, str] = {}


def rfc3339(ts: int) -> str:
    """Unix seconds -> '2026-08-09T01:55:00Z' (memoized: many markets share a timestamp)."""
    s = _ts_cache.get(ts)
    if s is None:
        s = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if len(_ts_cache) < 2_000_000:
            _ts_cache[ts] = s
    return s


@dataclass
class Universe:
    """Static metadata of every series, event and market, plus combo legs (CSR layout)."""

    seed: int
    anchor_ts: int
    # series
    s_ticker: list[str] = field(default_factory=list)
    s_json: list[bytes] = field(default_factory=list)
    s_category: list[str] = field(default_factory=list)
    s_tags: list[tuple[str, ...]] = field(default_factory=list)
    s_template: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    """Index of the series' template in TEMPLATES (-1: combos, replays)."""
    # events
    e_ticker: list[str] = field(default_factory=list)
    e_series: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    e_open: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    e_close: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    e_phase: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    e_first: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    e_last: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    e_is_mve: BOOL = field(default_factory=lambda: np.zeros(0, np.bool_))
    e_json: list[bytes] = field(default_factory=list)
    e_center: F64 = field(default_factory=lambda: np.zeros(0))
    e_scale: F64 = field(default_factory=lambda: np.zeros(0))
    # markets
    m_ticker: list[str] = field(default_factory=list)
    m_event: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    m_series: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    m_lo: F64 = field(default_factory=lambda: np.zeros(0))
    m_hi: F64 = field(default_factory=lambda: np.zeros(0))
    m_open: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    m_close: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    m_determined: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    m_settle: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    m_created: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    m_is_mve: BOOL = field(default_factory=lambda: np.zeros(0, np.bool_))
    m_rate: F64 = field(default_factory=lambda: np.zeros(0))
    m_oi_frac: F64 = field(default_factory=lambda: np.zeros(0))
    m_half_spread: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    m_tick: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    m_depth: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    dynamics: int = 0
    """`market_paths.params.DYN_BUSY` or `DYN_CALIBRATED`: how m_rate and m_dyn are read."""
    m_dyn: F64 = field(default_factory=lambda: np.zeros((0, 4)))
    """Calibrated dynamics: per-market parameters, columns `market_paths.params.D_*` (zeros
    when busy)."""
    m_buf: U8 = field(default_factory=lambda: np.zeros(0, np.uint8))
    """Static JSON fragments of all markets, back to back (object members without braces)."""
    m_off: I64 = field(default_factory=lambda: np.zeros(1, np.int64))
    m_buf_legacy: U8 = field(default_factory=lambda: np.zeros(0, np.uint8))
    m_off_legacy: I64 = field(default_factory=lambda: np.zeros(1, np.int64))
    leg_start: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    leg_market: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    leg_yes: BOOL = field(default_factory=lambda: np.zeros(0, np.bool_))
    ticker_index: dict[str, int] = field(default_factory=dict)
    event_index: dict[str, int] = field(default_factory=dict)
    series_index: dict[str, int] = field(default_factory=dict)
    series_markets: dict[int, I64] = field(default_factory=dict)
    series_events: dict[int, I64] = field(default_factory=dict)

    @property
    def n_markets(self) -> int:
        return len(self.m_ticker)

    def fragment(self, m: int, legacy: bool = False) -> bytes:
        """Static JSON members of market m (no braces)."""
        buf, off = (self.m_buf_legacy, self.m_off_legacy) if legacy else (self.m_buf, self.m_off)
        return buf[int(off[m]) : int(off[m + 1])].tobytes()

    def finish_indexes(self) -> None:
        """Build the lookup tables used by filters (ticker -> row, series -> rows)."""
        self.ticker_index = {t: i for i, t in enumerate(self.m_ticker)}
        self.event_index = {t: i for i, t in enumerate(self.e_ticker)}
        self.series_index = {t: i for i, t in enumerate(self.s_ticker)}
        order = np.argsort(self.m_series, kind="stable")
        bounds = np.searchsorted(self.m_series[order], np.arange(len(self.s_ticker) + 1))
        self.series_markets = {
            s: np.sort(order[bounds[s] : bounds[s + 1]]) for s in range(len(self.s_ticker))
        }
        eorder = np.argsort(self.e_series, kind="stable")
        ebounds = np.searchsorted(self.e_series[eorder], np.arange(len(self.s_ticker) + 1))
        self.series_events = {
            s: np.sort(eorder[ebounds[s] : ebounds[s + 1]]) for s in range(len(self.s_ticker))
        }
