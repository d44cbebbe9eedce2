"""The synthetic universe: series -> events -> markets, laid out around an anchor date.

Static metadata lives in numpy arrays (one row per market / event / series) plus pre-serialized
JSON fragments, so a page of 1,000 markets is a join of bytes and a vectorized quote computation.

Price model (see `kalshi_sim.model`): every event owns a latent Brownian motion Y (variance one
per day) running from its open to its close. A market resolves YES when Y at close falls in its
interval [lo, hi) (brackets are disjoint intervals, so they are mutually exclusive; thresholds are
half-lines). Its fair price at time t is P(lo <= Y(close) < hi | Y(t)), a martingale, so quotes are
calibrated against results by construction. Combo (KXMVE...) markets multiply the probabilities
of legs on independent events.
"""

from __future__ import annotations

import gc
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from kalshi_sim import dynamics as dyn
from kalshi_sim.config import SimConfig
from kalshi_sim.dynamics import DEFAULT_ACTIVITY, Activity, calibrated_activity
from kalshi_sim.kernels import DYN_CALIBRATED, N_DYN

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
BOOL = npt.NDArray[np.bool_]
U8 = npt.NDArray[np.uint8]

STEP_S = 60
"""Quote/trade grid of every event: a quote holds for one step (phase-shifted per event)."""

LINEAR_CENT = 0
TAPERED_DECI_CENT = 1
_PRICE_RANGES = {
    LINEAR_CENT: [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}],
    TAPERED_DECI_CENT: [
        {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
        {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
        {"start": "0.9000", "end": "1.0000", "step": "0.0010"},
    ],
}
_STRUCTURE_NAME = {LINEAR_CENT: "linear_cent", TAPERED_DECI_CENT: "tapered_deci_cent"}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

_ts_cache: dict[int, str] = {}


def rfc3339(ts: int) -> str:
    """Unix seconds -> '2026-08-09T01:55:00Z' (memoized: many markets share a timestamp)."""
    s = _ts_cache.get(ts)
    if s is None:
        s = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if len(_ts_cache) < 2_000_000:
            _ts_cache[ts] = s
    return s


@dataclass(frozen=True)
class Template:
    """A family of series (one per variant) sharing structure."""

    prefix: str
    variants: tuple[tuple[str, str, float], ...]
    """(code, display name, typical level of the underlying)."""
    category: str
    title: str
    frequency: str
    cadence_s: int
    lead_s: int
    kind: str
    """brackets | thresholds | game2 | game3 | candidates | binary"""
    n_markets: int
    sd_frac: float
    """Daily standard deviation of the underlying, as a fraction of its level."""
    unit: str
    step: float
    fee_type: str = "quadratic"
    fee_multiplier: float = 1.0
    tick: int = LINEAR_CENT
    weight: float = 1.0
    settlement_source: tuple[str, str] = ("Kalshi", "https://kalshi.com")
    tags: tuple[str, ...] = ()
    activity: Activity = DEFAULT_ACTIVITY
    """Calibrated dynamics of the template's median market (kalshi_sim.dynamics)."""


_CITIES = (
    ("NY", "New York City", 52.0),
    ("CHI", "Chicago", 45.0),
    ("LAX", "Los Angeles", 68.0),
    ("MIA", "Miami", 80.0),
    ("AUS", "Austin", 70.0),
    ("DEN", "Denver", 48.0),
    ("PHIL", "Philadelphia", 53.0),
    ("HOU", "Houston", 72.0),
    ("SEA", "Seattle", 50.0),
    ("SFO", "San Francisco", 60.0),
    ("DC", "Washington DC", 55.0),
    ("BOS", "Boston", 48.0),
    ("ATL", "Atlanta", 62.0),
    ("DAL", "Dallas", 66.0),
    ("PHX", "Phoenix", 75.0),
    ("LV", "Las Vegas", 70.0),
    ("MSP", "Minneapolis", 40.0),
    ("DET", "Detroit", 44.0),
    ("NOLA", "New Orleans", 71.0),
    ("SATX", "San Antonio", 71.0),
)
_COINS = (
    ("BTC", "Bitcoin", 97000.0),
    ("ETH", "Ethereum", 3400.0),
    ("SOL", "Solana", 190.0),
    ("XRP", "XRP", 2.4),
    ("DOGE", "Dogecoin", 0.38),
    ("BNB", "BNB", 640.0),
)
_INDICES = (
    ("INX", "S&P 500", 6100.0),
    ("NASDAQ100", "Nasdaq-100", 21500.0),
    ("DOW", "Dow Jones", 44000.0),
    ("RUT", "Russell 2000", 2300.0),
)
_LEAGUES = (
    ("NBA", "Pro Basketball", 220.0),
    ("NFL", "Pro Football", 44.0),
    ("MLB", "Pro Baseball", 9.0),
    ("NHL", "Pro Hockey", 6.0),
    ("NCAAF", "College Football", 52.0),
    ("NCAAB", "College Basketball", 140.0),
    ("WNBA", "Pro Women's Basketball", 160.0),
    ("MLS", "Pro Soccer", 3.0),
    ("EPL", "Premier League", 2.8),
    ("UCL", "Champions League", 2.9),
)
_ECON = (
    ("CPI", "CPI inflation (MoM)", 0.3),
    ("FED", "Fed funds upper bound", 4.25),
    ("PAYROLLS", "Nonfarm payrolls (k)", 150.0),
    ("U3", "Unemployment rate", 4.2),
    ("GDP", "GDP growth (QoQ annualized)", 2.2),
    ("GAS", "US gas price", 3.1),
)
_SHOWS = (
    ("SNL", "Saturday Night Live", 0.0),
    ("TRUMPSAY", "the President's remarks", 0.0),
    ("POWELL", "the Fed Chair's press conference", 0.0),
    ("EARNINGS", "earnings calls", 0.0),
)
_ONEOFF = (
    ("NYKCOACH", "New York Pro Basketball head coach", 0.0),
    ("OSCARPIC", "Best Picture winner", 0.0),
    ("PRESNOMD", "Democratic nominee", 0.0),
    ("TIMEPOY", "Time Person of the Year", 0.0),
    ("POPE", "Next Pope", 0.0),
    ("NEXTCEOAAPL", "Next Apple CEO", 0.0),
    ("TOPSONG", "Top song on the chart", 0.0),
)
_TEAMS = (
    "ATL",
    "BOS",
    "BKN",
    "CHA",
    "CHI",
    "CLE",
    "DAL",
    "DEN",
    "DET",
    "GSW",
    "HOU",
    "IND",
    "LAC",
    "LAL",
    "MEM",
    "MIA",
    "MIL",
    "MIN",
    "NOP",
    "NYK",
    "OKC",
    "ORL",
    "PHI",
    "PHX",
    "POR",
    "SAC",
    "SAS",
    "TOR",
    "UTA",
    "WAS",
    "SD",
    "SF",
    "SEA",
    "TB",
    "KC",
    "LV",
    "NE",
    "NYJ",
    "PIT",
    "BAL",
)
_NAMES = (
    "Micah Nori",
    "Jordan Reed",
    "Avery Stone",
    "Casey Lin",
    "Morgan Diaz",
    "Riley Chen",
    "Taylor Brooks",
    "Jamie Ortiz",
    "Quinn Patel",
    "Drew Santos",
    "Rowan Kim",
    "Parker Hale",
)

TEMPLATES: tuple[Template, ...] = (
    Template(
        "KXHIGH",
        _CITIES,
        "Climate and Weather",
        "Highest temperature in {name} on {date}?",
        "daily",
        86400,
        2 * 86400,
        "brackets",
        6,
        0.05,
        "°",
        2.0,
        settlement_source=("National Weather Service", "https://www.weather.gov/"),
        tags=("Weather",),
        weight=1.2,
        activity=dyn.HIGH_TEMPERATURE,
    ),
    Template(
        "KXLOWT",
        _CITIES,
        "Climate and Weather",
        "Lowest temperature in {name} on {date}?",
        "daily",
        86400,
        2 * 86400,
        "brackets",
        6,
        0.06,
        "°",
        2.0,
        settlement_source=("National Weather Service", "https://www.weather.gov/"),
        tags=("Weather",),
        weight=0.8,
        activity=dyn.LOW_TEMPERATURE,
    ),
    Template(
        "KX{code}D",
        _COINS,
        "Crypto",
        "{name} price on {date}?",
        "hourly",
        3600,
        86400,
        "thresholds",
        20,
        0.03,
        "$",
        0.0,
        tick=TAPERED_DECI_CENT,
        settlement_source=("CF Benchmarks", "https://www.cfbenchmarks.com/"),
        tags=("Crypto",),
        weight=3.0,
        activity=dyn.CRYPTO_HOURLY,
    ),
    Template(
        "KX{code}",
        _COINS,
        "Crypto",
        "{name} price range on {date}?",
        "daily",
        86400,
        2 * 86400,
        "brackets",
        16,
        0.03,
        "$",
        0.0,
        settlement_source=("CF Benchmarks", "https://www.cfbenchmarks.com/"),
        tags=("Crypto",),
        weight=1.0,
        activity=dyn.CRYPTO_RANGE,
    ),
    Template(
        "KX{code}",
        _INDICES,
        "Financials",
        "{name} close on {date}?",
        "daily",
        86400,
        3 * 86400,
        "brackets",
        20,
        0.01,
        "",
        0.0,
        fee_type="quadratic_with_maker_fees",
        fee_multiplier=0.5,
        settlement_source=("Cboe", "https://www.cboe.com/"),
        tags=("Indices",),
        weight=1.0,
        activity=dyn.INDEX_RANGE,
    ),
    Template(
        "KX{code}GAME",
        _LEAGUES,
        "Sports",
        "{team1} vs {team2} Winner?",
        "custom",
        3 * 3600,
        7 * 86400,
        "game2",
        2,
        0.0,
        "",
        0.0,
        fee_type="quadratic_with_maker_fees",
        settlement_source=("ESPN", "https://www.espn.com"),
        tags=("Sports",),
        weight=2.0,
        activity=dyn.GAME_WINNER,
    ),
    Template(
        "KX{code}SPREAD",
        _LEAGUES,
        "Sports",
        "{team1} vs {team2}: Spread",
        "custom",
        3 * 3600,
        7 * 86400,
        "thresholds",
        10,
        0.05,
        "",
        0.5,
        settlement_source=("ESPN", "https://www.espn.com"),
        tags=("Sports",),
        weight=3.0,
        activity=dyn.GAME_SPREAD,
    ),
    Template(
        "KX{code}TOTAL",
        _LEAGUES,
        "Sports",
        "{team1} vs {team2}: Total points",
        "custom",
        3 * 3600,
        7 * 86400,
        "thresholds",
        10,
        0.06,
        "",
        0.5,
        settlement_source=("ESPN", "https://www.espn.com"),
        tags=("Sports",),
        weight=3.0,
        activity=dyn.GAME_TOTAL,
    ),
    Template(
        "KX{code}",
        _ECON,
        "Economics",
        "{name} in {month}?",
        "monthly",
        30 * 86400,
        75 * 86400,
        "brackets",
        10,
        0.02,
        "",
        0.0,
        settlement_source=("Bureau of Labor Statistics", "https://www.bls.gov/"),
        tags=("Macro",),
        weight=0.3,
        activity=dyn.ECONOMICS,
    ),
    Template(
        "KX{code}MENTION",
        _SHOWS,
        "Mentions",
        "Will {word} be said during {name}?",
        "weekly",
        7 * 86400,
        10 * 86400,
        "binary",
        1,
        0.0,
        "",
        0.0,
        fee_multiplier=2.0,
        tags=("Mentions",),
        weight=0.5,
        activity=dyn.MENTIONS,
    ),
    Template(
        "KX{code}",
        _ONEOFF,
        "Politics",
        "{name}?",
        "one_off",
        365 * 86400,
        300 * 86400,
        "candidates",
        12,
        0.0,
        "",
        0.0,
        tags=("Politics",),
        weight=0.2,
        activity=dyn.ONE_OFF,
    ),
)

_TEMPLATE_INDEX = {id(t): i for i, t in enumerate(TEMPLATES)}

_ND = NormalDist()

_WORDS = ("Tariff", "Crypto", "Inflation", "Border", "Recession", "AI", "Rate cut", "Shutdown")


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
    """kernels.DYN_BUSY or kernels.DYN_CALIBRATED: how m_rate and m_dyn are read."""
    m_dyn: F64 = field(default_factory=lambda: np.zeros((0, 4)))
    """Calibrated dynamics: per-market parameters, columns kernels.D_* (zeros when busy)."""
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


class _Builder:
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
        self.s_template.append(_TEMPLATE_INDEX.get(id(tpl), -1))
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
            "price_level_structure": _STRUCTURE_NAME[tick],
            "price_ranges": _PRICE_RANGES[tick],
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
    b = _Builder(cfg)
    target = max(cfg.markets, 1)
    total_w = sum(t.weight for t in TEMPLATES)
    game_markets: list[int] = []
    for ti, tpl in enumerate(TEMPLATES):
        share = round(target * tpl.weight / total_w) if ti < len(TEMPLATES) - 1 else 0
        if ti == len(TEMPLATES) - 1:
            share = target - len(b.mk["event"])
        _fill_template(b, tpl, share, game_markets)
    _add_combos(b, cfg.combo_markets, game_markets)
    u = b.freeze()
    if cfg.dynamics == "calibrated":
        # Drawn from their own stream after the layout, so both dynamics share every ticker.
        acts = [t.activity for t in TEMPLATES]
        u.m_rate, u.m_dyn, u.m_depth = calibrated_activity(u, acts, cfg.seed, cfg.activity)
        u.dynamics = DYN_CALIBRATED
    else:
        u.m_dyn = np.zeros((u.n_markets, N_DYN))
    return u


def _fill_template(b: _Builder, tpl: Template, share: int, games: list[int]) -> None:
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
                made += _add_event_markets(b, tpl, s, code, name, level, close, j, g, games)
                if made >= share:
                    break


def _add_event_markets(
    b: _Builder,
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
        t1 = _TEAMS[int(h[1] * len(_TEAMS))]
        t2 = _TEAMS[(int(h[1] * len(_TEAMS)) + 1 + int(h[2] * (len(_TEAMS) - 1))) % len(_TEAMS)]
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
    if ev_ticker in b.u.event_index or ev_ticker in _seen(b):
        ev_ticker = f"{ev_ticker}{g + 2}" if g else f"{ev_ticker}X{j}"
        if ev_ticker in _seen(b):
            return 0
    _seen(b).add(ev_ticker)
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
            person = _NAMES[i % len(_NAMES)] + ("" if i < len(_NAMES) else f" {i}")
            lo_y = -math.inf if i == 0 else edges_y[i - 1]
            hi_y = math.inf if i == n - 1 else edges_y[i]
            suffix = (person.split()[0][0] + person.split()[1]).upper()[:6] + (
                str(i) if i >= len(_NAMES) else ""
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
        word = _WORDS[int(h[6] * len(_WORDS))]
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


def _seen(b: _Builder) -> set[str]:
    seen: set[str] | None = getattr(b, "_seen_events", None)
    if seen is None:
        seen = set()
        b._seen_events = seen  # type: ignore[attr-defined]
    return seen


_MVE_SERIES = (
    ("KXMVESPORTSMULTIGAMEEXTENDED", "Multi-game parlay"),
    ("KXMVECROSSCATEGORY", "Cross-category parlay"),
)


def _add_combos(b: _Builder, n: int, games: list[int]) -> None:
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
    series_ids = [b.add_series(tpl, code[len("KXMVE") :], title) for code, title in _MVE_SERIES]
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
    seen = _seen(b)
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


def anchor_from_iso(text: str) -> datetime:
    """Parse an ISO timestamp given on the command line (naive means UTC)."""
    d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return d if d.tzinfo else d.replace(tzinfo=UTC)
