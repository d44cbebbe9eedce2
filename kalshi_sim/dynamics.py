"""Calibrated market activity: how often each market trades and requotes, how big its prints
are, how wide its spread and how deep its book, drawn per market at universe build.

Each template of `kalshi_sim.catalogue` carries an `Activity` (its median market); a market's
own level scales it by its relative activity in the generated universe (the event's lognormal
draw times the market's position: near-the-money strikes and game winners trade more) raised to
the template's power, and by its series' popularity: a few markets take most of the prints, as
on Kalshi. The numbers were set so that `bench/sim_dynamics.py` measures the simulator like
Kalshi's recordings (docs/SIMULATOR.md spells out each figure's evidence and how thin it is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from kalshi_sim.market_paths import params

if TYPE_CHECKING:
    from kalshi_sim.universe import Universe

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

BUSY_MEDIAN_RATE = float(np.exp(-3.0))
"""Busy dynamics' rate (contracts/s) of a median event's market: the unit of relative activity."""
BUSY_COMBO_RATE = 0.014
"""Busy dynamics' median combo rate."""
ACTIVITY_POWER = 0.5
"""Relative activity (the busy model's lognormal event draw, sd 2.2, times the market's
position) is raised to this power (per template: `Activity.power`): within one kind of market
activity varies less than across kinds (the nba tapes' busiest 10% of game markets hold 29% of
the contracts)."""
SERIES_SPREAD = 1.0
"""Log-sd of a series' popularity (KXHIGHNY trades far more than KXHIGHMIA)."""
SIZE_SPREAD = 0.5
"""Log-sd of a market's print-size scale around its template's."""
BOOK_SPREAD = 0.8
"""Log-sd of a market's resting size around its template's."""


@dataclass(frozen=True)
class Activity:
    """The calibrated dynamics of a template's median market (relative activity 1)."""

    orders_per_day: float
    """Taker orders per day over the market's listed life (each prints once, some several
    times: `market_paths.params.SWEEP`)."""
    order_size: float
    """Gamma scale of an order's contracts beyond the first (mean extra: SIZE_SHAPE x this)."""
    revisions_per_order: float = 1.0
    """Maker quote revisions per taker order (a minute with either re-derives the quote)."""
    revisions_per_day: float = 4.0
    """Revisions a day even without trades: quiet books still move now and then."""
    wide: float = 0.25
    """Probability that the spread is one tick wider (repeatedly), at relative activity 1."""
    book_size: float = 300.0
    """Median resting contracts per price level, at relative activity 1."""
    window_h: float = 24.0
    """Hours before the close holding most of the trading (and of the quote revisions)."""
    power: float = ACTIVITY_POWER
    """Exponent of the relative activity: high where a few strikes take all the trading
    (hourly crypto near the money), low where markets are alike (one league's games)."""


HIGH_TEMPERATURE = Activity(
    orders_per_day=250.0,
    order_size=200.0,
    revisions_per_order=1.0,
    wide=0.5,
    book_size=400.0,
    window_h=24.0,
)
"""KXHIGH: the recorded KXHIGHNY quotes moved in 9% of minutes, traded in 6%, spreads 1-3c."""
LOW_TEMPERATURE = Activity(
    orders_per_day=75.0,
    order_size=200.0,
    revisions_per_order=1.0,
    wide=0.5,
    book_size=300.0,
    window_h=24.0,
)
"""KXLOWT: a less followed weather series (no recording)."""
CRYPTO_HOURLY = Activity(
    orders_per_day=16.0, order_size=70.0, wide=0.3, book_size=500.0, window_h=1.0, power=1.0
)
"""Hourly crypto thresholds (KXBTCD...): tapes trade in the last hour, median 9 prints."""
CRYPTO_RANGE = Activity(
    orders_per_day=8.0, order_size=360.0, wide=0.3, book_size=300.0, window_h=1.0, power=0.7
)
"""Crypto ranges (KXBTC...): tapes trade in the last hour, median 6 prints."""
INDEX_RANGE = Activity(
    orders_per_day=20.0, order_size=200.0, wide=0.3, book_size=300.0, window_h=7.0
)
"""Index ranges: not recorded; set between crypto and weather."""
GAME_WINNER = Activity(
    orders_per_day=100.0, order_size=900.0, wide=0.15, book_size=1000.0, window_h=16.0, power=0.4
)
"""Game winners: tapes of games and matches, median 322 prints over 19 hours."""
GAME_SPREAD = Activity(
    orders_per_day=15.0, order_size=400.0, wide=0.3, book_size=500.0, window_h=16.0
)
"""Game spreads: recorded volumes (no tapes) a tenth of the winners'."""
GAME_TOTAL = Activity(
    orders_per_day=15.0, order_size=400.0, wide=0.3, book_size=500.0, window_h=16.0
)
"""Game totals: as spreads."""
ECONOMICS = Activity(
    orders_per_day=0.2,
    order_size=350.0,
    revisions_per_day=1.0,
    wide=0.4,
    window_h=1000.0,
    power=0.8,
)
"""Economics brackets: tapes of 608 markets, median 30 prints over four weeks."""
MENTIONS = Activity(orders_per_day=5.0, order_size=200.0, wide=0.4, window_h=24.0)
"""Mention markets: not recorded."""
ONE_OFF = Activity(
    orders_per_day=2.0, order_size=200.0, revisions_per_day=1.0, wide=0.5, window_h=1440.0
)
"""One-off candidate events: not recorded; long-lived and quiet."""
DEFAULT_ACTIVITY = Activity(orders_per_day=5.0, order_size=200.0)
"""A template that declares none (replays build their own templates)."""
COMBO = Activity(orders_per_day=0.05, order_size=30.0, revisions_per_day=1.0, wide=0.6)
"""Combo (KXMVE) markets: almost never traded one by one."""


def calibrated_activity(
    u: Universe, activities: Sequence[Activity], seed: int, scale: float = 1.0
) -> tuple[F64, F64, I64]:
    """(orders per second, m_dyn, book levels) for every market of u; `activities[i]` is
    template i's.

    `u.m_rate` must hold the busy dynamics' rates (contracts/s): their ratio to the median is
    each market's relative activity. `scale` multiplies trade and revision rates."""
    n = u.n_markets
    tpl = u.s_template[u.m_series] if len(u.s_template) else np.full(n, -1, np.int64)
    per_day = np.empty(n)
    size = np.empty(n)
    rev_per_order = np.empty(n)
    rev_per_day = np.empty(n)
    wide = np.empty(n)
    book = np.empty(n)
    window = np.empty(n)
    power = np.empty(n)
    for i, a in enumerate([*activities, COMBO]):
        sel = tpl == (i if i < len(activities) else -1)
        per_day[sel] = a.orders_per_day
        size[sel] = a.order_size
        rev_per_order[sel] = a.revisions_per_order
        rev_per_day[sel] = a.revisions_per_day
        wide[sel] = a.wide
        book[sel] = a.book_size
        window[sel] = a.window_h
        power[sel] = a.power
    unit = np.where(u.m_is_mve, BUSY_COMBO_RATE, BUSY_MEDIAN_RATE)
    rng = np.random.default_rng([seed, 0x44594E])  # "DYN": independent of the layout's draws
    popularity = np.exp(SERIES_SPREAD * rng.standard_normal(len(u.s_ticker)))
    rel = np.maximum(u.m_rate / unit, 1e-9) ** power * popularity[u.m_series]
    orders = scale * per_day * rel / 86400.0
    dyn = np.zeros((n, params.N_DYN))
    dyn[:, params.D_UPD] = orders * rev_per_order + scale * rev_per_day / 86400.0
    dyn[:, params.D_SIZE] = size * np.exp(SIZE_SPREAD * rng.standard_normal(n))
    # Busier books are deeper and tighter.
    dyn[:, params.D_BOOK] = np.log(book) + 0.25 * np.log(rel) + BOOK_SPREAD * rng.standard_normal(n)
    dyn[:, params.D_WIDE] = np.clip(wide * rel**-0.25, 0.02, 0.85)
    dyn[:, params.D_WINDOW] = np.floor(window * 3600.0 / params.STEP)
    # Busier books hold more price levels (the generated 3-14, shifted by activity).
    levels = np.clip(u.m_depth + np.round(2.0 * np.log(rel)), 2, 40).astype(np.int64)
    return orders, dyn, levels
