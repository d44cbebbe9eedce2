"""Contract: the rate planner accepts configurations within the Kalshi tier, picks the fastest
catalogue cadence the budget allows (never below 15 s, dividing the window) and refuses the rest
with a message naming the setting to change."""

import pytest

from kalshi_pipeline.lib.rate_budget import RateBudgetError, plan, watchlist_requests


def test_real_scale_catalogue_fits_basic_tier_at_15s() -> None:
    p = plan(
        budget_per_s=20,
        watchlist_requests_per_tick=watchlist_requests(3, 2, 250),
        watchlist_interval_s=5,
        catalogue_markets=104_000,
        catalogue_interval_s=None,
        window_s=300,
    )
    assert p.watchlist_requests_per_tick == 8
    assert p.catalogue_pages == 104
    assert p.catalogue_interval_s == 15
    assert p.total_per_s <= 16


def test_auto_interval_slows_down_when_budget_is_tight() -> None:
    p = plan(
        budget_per_s=5,
        watchlist_requests_per_tick=5,
        watchlist_interval_s=5,
        catalogue_markets=104_000,
        catalogue_interval_s=None,
        window_s=300,
    )
    assert p.catalogue_interval_s >= 104 / (4 - 1)
    assert 300 % p.catalogue_interval_s == 0
    assert p.total_per_s <= 4


def test_explicit_interval_over_budget_is_refused_with_advice() -> None:
    with pytest.raises(RateBudgetError, match="CATALOGUE_INTERVAL_S >= "):
        plan(
            budget_per_s=10,
            watchlist_requests_per_tick=10,
            watchlist_interval_s=5,
            catalogue_markets=104_000,
            catalogue_interval_s=15,
            window_s=300,
        )


def test_watchlist_over_budget_is_refused() -> None:
    with pytest.raises(RateBudgetError, match="WATCHLIST_SERIES"):
        plan(
            budget_per_s=20,
            watchlist_requests_per_tick=100,
            watchlist_interval_s=5,
            catalogue_markets=0,
            catalogue_interval_s=None,
            window_s=300,
        )


def test_interval_below_cdn_floor_refused() -> None:
    with pytest.raises(RateBudgetError, match="15"):
        plan(
            budget_per_s=100,
            watchlist_requests_per_tick=0,
            watchlist_interval_s=5,
            catalogue_markets=1000,
            catalogue_interval_s=10,
            window_s=300,
        )
