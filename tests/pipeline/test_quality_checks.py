"""Contract: the day-partition checks of `market_snapshots` judge with the thresholds of the
settings (QUALITY_COVERAGE_MIN, QUALITY_STALE_AFTER_HOURS, QUALITY_STALE_SHARE_MAX), read
when the check runs, on real PostgreSQL; their descriptions name the settings and defaults."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import pytest

from kalshi_core.models import IngestPoll
from kalshi_core.settings import get_settings
from kalshi_core.storage.database import Database, repositories
from kalshi_pipeline.defs.ingestion.checks import partition_poll_coverage, partition_stale_markets
from kalshi_pipeline.defs.partitions import snapshot_days
from kalshi_pipeline.defs.resources import WorkbenchDatabase
from tests.builders import T0, build_market, build_snapshot

DAY = T0.strftime("%Y-%m-%d")
DAY_START = T0.replace(hour=0)


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The watchlist tier on a 1-hour grid (24 ticks a day); thresholds set per test."""
    monkeypatch.setenv("WATCHLIST_SERIES", '["KXQ"]')
    monkeypatch.setenv("CATALOGUE_ENABLED", "false")
    monkeypatch.setenv("POLL_INTERVAL_S", "3600")
    monkeypatch.setenv("POLL_WINDOW_S", "3600")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


async def seed(url: str) -> None:
    """Two open markets: one quote last changed at 01:00 (stale by the day's end under a 6 h
    rule), one at 23:00; 22 of the day's 24 hourly ticks recorded ok (91.7%)."""
    db = await Database.connect(url, max_size=2)
    repos = repositories(db)
    await repos.markets.upsert_markets([build_market("KXQ-E-OLD"), build_market("KXQ-E-NEW")])
    await repos.markets.save_many([build_snapshot("KXQ-E-OLD", DAY_START + timedelta(hours=1))])
    await repos.markets.save_many([build_snapshot("KXQ-E-NEW", DAY_START + timedelta(hours=23))])
    await repos.polls.record_many(
        [
            IngestPoll(tier="watchlist", tick=DAY_START + timedelta(hours=h), status="ok")
            for h in range(22)
        ]
    )
    await db.close()


@dg.asset(name="market_snapshots", partitions_def=snapshot_days)
def _stand_in() -> None:
    """The checked asset, writing nothing (the real one polls Kalshi into the same table)."""


def run_check(check: dg.AssetChecksDefinition, url: str) -> bool:
    result = dg.materialize(
        [_stand_in, check],
        partition_key=DAY,
        resources={"database": WorkbenchDatabase(database_url=url)},
        raise_on_error=False,  # a failed blocking check fails the run; its verdict is the point
    )
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation.passed


def set_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


@pytest.mark.usefixtures("clean_db")
def test_thresholds_come_from_the_settings(
    database_url: str, settings_env: pytest.MonkeyPatch
) -> None:
    asyncio.run(seed(database_url))
    # defaults: 22/24 ticks < 95%; 1 of 2 open markets stale, not below a 50% share
    assert run_check(partition_poll_coverage, database_url) is False
    assert run_check(partition_stale_markets, database_url) is False
    set_env(settings_env, QUALITY_COVERAGE_MIN="0.9", QUALITY_STALE_SHARE_MAX="0.6")
    assert run_check(partition_poll_coverage, database_url) is True
    assert run_check(partition_stale_markets, database_url) is True
    set_env(settings_env, QUALITY_STALE_SHARE_MAX="0.5", QUALITY_STALE_AFTER_HOURS="23.5")
    assert run_check(partition_stale_markets, database_url) is True  # 23 h old: not stale


def test_descriptions_name_the_settings_and_their_defaults() -> None:
    [coverage] = partition_poll_coverage.check_specs
    [stale] = partition_stale_markets.check_specs
    assert "QUALITY_COVERAGE_MIN (default 95%)" in (coverage.description or "")
    assert "QUALITY_STALE_AFTER_HOURS (default 6 h)" in (stale.description or "")
    assert "QUALITY_STALE_SHARE_MAX (default 50%)" in (stale.description or "")
