"""Rate-budget planner: how many Kalshi reads per second a configuration needs, and whether the
configured tier allows it.

Kalshi meters reads per second per account (Basic ~20/s). The watchlist tier costs its requests
per tick every poll interval; the catalogue tier costs one request per page of 1,000 markets per
scan. Retries must fit too, so a plan may use at most `usable_fraction` of the budget. The
catalogue is never scanned faster than every 15 s: Kalshi's CDN caches `/markets` pages for 15 s,
so a faster scan would re-read the same data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PAGE_SIZE = 1000
CATALOGUE_FLOOR_S = 15
TICKERS_PER_REQUEST = 100  # keeps the `tickers=` query string well below URL length limits


class RateBudgetError(ValueError):
    """A configuration that would exceed the configured Kalshi rate tier."""


@dataclass(frozen=True, slots=True)
class RatePlan:
    budget_per_s: float
    usable_per_s: float
    watchlist_requests_per_tick: int
    watchlist_interval_s: int
    watchlist_per_s: float
    catalogue_pages: int
    catalogue_interval_s: int
    catalogue_per_s: float

    @property
    def total_per_s(self) -> float:
        return self.watchlist_per_s + self.catalogue_per_s

    def describe(self) -> str:
        return (
            f"watchlist {self.watchlist_requests_per_tick} req every {self.watchlist_interval_s}s "
            f"({self.watchlist_per_s:.2f}/s) + catalogue {self.catalogue_pages} pages every "
            f"{self.catalogue_interval_s}s ({self.catalogue_per_s:.2f}/s) = "
            f"{self.total_per_s:.2f}/s of {self.budget_per_s:g}/s budget"
        )


def watchlist_requests(
    n_series: int,
    n_events: int,
    n_tickers: int,
    series_pages: int = 1,
) -> int:
    """Requests one watchlist tick needs: a listing per series and per event (one page each unless
    told otherwise) plus the named tickers in batches."""
    return n_series * series_pages + n_events + math.ceil(n_tickers / TICKERS_PER_REQUEST)


def _divisors_at_least(n: int, floor: int, window_s: int) -> int:
    """Smallest interval >= n that divides the poll window (so the grid tiles it)."""
    for d in range(max(n, floor), window_s + 1):
        if window_s % d == 0:
            return d
    return window_s


def plan(
    *,
    budget_per_s: float,
    watchlist_requests_per_tick: int,
    watchlist_interval_s: int,
    catalogue_markets: int,
    catalogue_interval_s: int | None,
    window_s: int,
    usable_fraction: float = 0.8,
) -> RatePlan:
    """Plan both tiers. `catalogue_interval_s=None` picks the fastest cadence the budget allows
    (never below 15 s); an explicit interval is checked.

    Raises RateBudgetError saying what to change."""
    usable = budget_per_s * usable_fraction
    wl_rate = (
        watchlist_requests_per_tick / watchlist_interval_s if watchlist_requests_per_tick else 0.0
    )
    pages = math.ceil(catalogue_markets / PAGE_SIZE) if catalogue_markets > 0 else 0
    if wl_rate > usable:
        fastest = math.ceil(watchlist_requests_per_tick / usable) if usable > 0 else 0
        raise RateBudgetError(
            f"the watchlist needs {watchlist_requests_per_tick} requests every "
            f"{watchlist_interval_s}s = {wl_rate:.1f}/s, more than {usable:.1f}/s "
            f"({usable_fraction:.0%} of KALSHI_RATE_LIMIT_PER_S={budget_per_s:g}, the rest is "
            f"kept for retries). Trim WATCHLIST_SERIES/EVENTS/TICKERS, raise POLL_INTERVAL_S to "
            f">= {fastest}, or set KALSHI_RATE_LIMIT_PER_S to your tier's real limit."
        )
    if pages == 0:
        interval = catalogue_interval_s or window_s
        return RatePlan(
            budget_per_s,
            usable,
            watchlist_requests_per_tick,
            watchlist_interval_s,
            wl_rate,
            0,
            interval,
            0.0,
        )
    spare = usable - wl_rate
    fastest = max(CATALOGUE_FLOOR_S, math.ceil(pages / spare) if spare > 0 else 10**9)
    if catalogue_interval_s is None:
        if fastest > window_s:
            raise RateBudgetError(
                f"the catalogue ({catalogue_markets} markets = {pages} pages) needs one scan per "
                f"{fastest}s with {spare:.1f}/s left after the watchlist, longer than a poll "
                f"window "
                f"({window_s}s). Raise POLL_WINDOW_S, trim the watchlist, or raise "
                f"KALSHI_RATE_LIMIT_PER_S to your tier's limit."
            )
        interval = _divisors_at_least(fastest, CATALOGUE_FLOOR_S, window_s)
    else:
        interval = catalogue_interval_s
        if interval < CATALOGUE_FLOOR_S:
            raise RateBudgetError(
                f"CATALOGUE_INTERVAL_S={interval} is below {CATALOGUE_FLOOR_S}s: Kalshi caches "
                f"/markets pages for 15 s, so faster scans re-read the same data. Use >= 15."
            )
        if pages / interval > spare:
            raise RateBudgetError(
                f"a catalogue scan of {pages} pages every {interval}s needs "
                f"{pages / interval:.1f}/s but only {spare:.1f}/s is left after the watchlist "
                f"({wl_rate:.1f}/s) within {usable:.1f}/s usable of KALSHI_RATE_LIMIT_PER_S="
                f"{budget_per_s:g}. Set CATALOGUE_INTERVAL_S >= {fastest} (or 0 for automatic), "
                f"trim the watchlist, or raise KALSHI_RATE_LIMIT_PER_S to your tier's limit."
            )
    return RatePlan(
        budget_per_s,
        usable,
        watchlist_requests_per_tick,
        watchlist_interval_s,
        wl_rate,
        pages,
        interval,
        pages / interval,
    )
