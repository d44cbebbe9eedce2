"""The two ingestion tiers as configured: which markets each polls, and on which grid.

The watchlist (series, events and tickers the user names) runs on the POLL_INTERVAL_S grid; the
catalogue (every open non-combo market) at the cadence the rate planner allows. A configuration
over the Kalshi budget raises RateBudgetError here, before any run starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kalshi_core.settings import Settings
from kalshi_pipeline.lib.poll_grid import PollGrid
from kalshi_pipeline.lib.rate_budget import RatePlan, plan, watchlist_requests

Tier = Literal["watchlist", "catalogue"]
TIERS: tuple[Tier, ...] = ("watchlist", "catalogue")


@dataclass(frozen=True, slots=True)
class TierSpec:
    tier: Tier
    grid: PollGrid
    series: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    raw_pages_every_s: int = 0  # see poll_window
    extra: dict[str, str] = field(default_factory=dict)


def rate_plan(settings: Settings) -> RatePlan:
    # KALSHI_RATE_LIMIT_PER_S=0 turns the limiter off (simulator benchmarks): nothing to refuse
    budget = settings.kalshi_rate_limit_per_s or float("inf")
    return plan(
        budget_per_s=budget,
        watchlist_requests_per_tick=watchlist_requests(
            len(settings.watchlist_series),
            len(settings.watchlist_events),
            len(settings.watchlist_tickers),
        ),
        watchlist_interval_s=settings.poll_interval_s,
        catalogue_markets=settings.catalogue_markets_estimate if settings.catalogue_enabled else 0,
        catalogue_interval_s=settings.catalogue_interval_s or None,
        window_s=settings.poll_window_s,
    )


def tier_specs(settings: Settings) -> dict[Tier, TierSpec]:
    """The enabled tiers. Raises RateBudgetError or GridConfigError with what to change."""
    budget = rate_plan(settings)
    specs: dict[Tier, TierSpec] = {}
    if settings.watchlist_series or settings.watchlist_events or settings.watchlist_tickers:
        specs["watchlist"] = TierSpec(
            "watchlist",
            PollGrid("watchlist", settings.poll_interval_s, settings.poll_window_s),
            series=tuple(settings.watchlist_series),
            events=tuple(settings.watchlist_events),
            tickers=tuple(settings.watchlist_tickers),
            raw_pages_every_s=settings.raw_pages_watchlist_every_s,
        )
    if settings.catalogue_enabled:
        specs["catalogue"] = TierSpec(
            "catalogue",
            PollGrid("catalogue", budget.catalogue_interval_s, settings.poll_window_s),
            raw_pages_every_s=settings.raw_pages_catalogue_every_s,
        )
    return specs
