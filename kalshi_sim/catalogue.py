"""What the synthetic exchange lists: families of series (templates) and their variants.

Each `Template` is a kind of Kalshi series (weather brackets, hourly crypto thresholds, index
ranges, games with spreads and totals, economics, mentions, one-off candidate events) with its
variants (cities, coins, leagues...), cadence, market layout, fees, tick structure, weight in the
universe and calibrated activity (`kalshi_sim.dynamics`). `kalshi_sim.universe_builder` turns
them into a universe; `kalshi_sim.market_layouts` lays out each kind's markets.
"""

from __future__ import annotations

from dataclasses import dataclass

from kalshi_sim import dynamics as dyn
from kalshi_sim.dynamics import DEFAULT_ACTIVITY, Activity

LINEAR_CENT = 0
"""Price level structure: one-cent ticks over the whole range."""
TAPERED_DECI_CENT = 1
"""Price level structure: 0.1-cent ticks below 10 and above 90 cents, one cent between."""
PRICE_RANGES = {
    LINEAR_CENT: [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}],
    TAPERED_DECI_CENT: [
        {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
        {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
        {"start": "0.9000", "end": "1.0000", "step": "0.0010"},
    ],
}
"""A structure's `price_ranges` as Kalshi serves them."""
STRUCTURE_NAME = {LINEAR_CENT: "linear_cent", TAPERED_DECI_CENT: "tapered_deci_cent"}
"""A structure's `price_level_structure` name."""


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
TEAMS = (
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
"""Team codes of the game series (two drawn per game)."""
CANDIDATES = (
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
"""People of the one-off candidate events."""

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

TEMPLATE_INDEX = {id(t): i for i, t in enumerate(TEMPLATES)}
"""A template's position in TEMPLATES (`Universe.s_template`), by identity."""

MENTION_WORDS = (
    "Tariff",
    "Crypto",
    "Inflation",
    "Border",
    "Recession",
    "AI",
    "Rate cut",
    "Shutdown",
)
"""Words of the mention markets (KX...MENTION)."""

COMBO_SERIES = (
    ("KXMVESPORTSMULTIGAMEEXTENDED", "Multi-game parlay"),
    ("KXMVECROSSCATEGORY", "Cross-category parlay"),
)
"""The combo series (ticker, title) that `kalshi_sim.combos` lists parlays in."""
