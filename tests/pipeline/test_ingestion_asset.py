"""Contract: the Dagster `market_snapshots` asset, materialized for one poll window against the
simulator and a real PostgreSQL, commits every grid tick of its window, records each in
ingest_polls, reports the window in its materialization metadata and passes its inline checks;
the code location loads (`Definitions.validate_loadable`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import psycopg2
import pytest

from kalshi_core.settings import get_settings
from kalshi_pipeline.definitions import defs
from kalshi_pipeline.defs.ingestion.assets import market_snapshots
from kalshi_pipeline.defs.resources import KalshiApiResource, WorkbenchDatabase
from kalshi_sim.config import SimConfig
from kalshi_sim.testing import run_simulator


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with run_simulator(SimConfig(markets=3000, seed=7, rate_limit_per_s=0)) as url:
        yield url


@pytest.fixture
def fast_grid(monkeypatch: pytest.MonkeyPatch, sim_url: str, database_url: str) -> Iterator[None]:
    monkeypatch.setenv("KALSHI_BASE_URL", sim_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("POLL_INTERVAL_S", "2")
    monkeypatch.setenv("POLL_WINDOW_S", "20")
    monkeypatch.setenv("WATCHLIST_SERIES", '["KXHIGHNY", "KXBTCD"]')
    monkeypatch.setenv("CATALOGUE_ENABLED", "false")
    monkeypatch.setenv("RAW_PAGES_WATCHLIST_EVERY_S", "10")  # 2 of the window's 10 ticks
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs())


@pytest.mark.usefixtures("fast_grid", "clean_db")
def test_window_materializes_into_postgres(sim_url: str, database_url: str) -> None:
    now = datetime.now(UTC)
    start = datetime.fromtimestamp((int(now.timestamp()) // 20 + 1) * 20, UTC)
    time.sleep(max(0.0, (start - now).total_seconds() - 1.5))
    result = dg.materialize(
        [market_snapshots],
        partition_key=start.strftime("%Y-%m-%d"),
        run_config={
            "ops": {
                "market_snapshots": {
                    "config": {"tier": "watchlist", "window_start": start.isoformat()}
                }
            }
        },
        resources={
            "kalshi": KalshiApiResource(base_url=sim_url, rate_limit_per_s=0),
            "database": WorkbenchDatabase(database_url=database_url),
        },
    )
    assert result.success
    mat = result.asset_materializations_for_node("market_snapshots")[0]
    meta = {k: v.value for k, v in mat.metadata.items()}
    assert meta["ticks_expected"] == 10
    assert meta["ticks_ok"] >= 9
    assert meta["markets_seen"] > 100
    assert meta["rows_written"] >= meta["markets_seen"]
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["window_tick_coverage"] is True
    assert checks["window_quotes_sane"] is True
    assert checks["raw_payload_schema_drift"] is True

    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT status, count(*) FROM ingest_polls WHERE tick >= %s AND tick < %s GROUP BY 1",
            (start, start + timedelta(seconds=20)),
        )
        polls = dict(cur.fetchall())
        cur.execute("SELECT count(*), count(DISTINCT market_id) FROM market_snapshots")
        rows, markets = cur.fetchone()  # type: ignore[misc]
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM market_snapshots GROUP BY market_id, observed_at "
            "HAVING count(*) > 1) d"
        )
        dupes = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("SELECT count(*) FROM raw_pages")
        pages = cur.fetchone()[0]  # type: ignore[index]
    assert sum(polls.values()) == 10
    assert polls.get("ok", 0) >= 9
    assert rows == meta["rows_written"]
    assert markets == meta["markets_seen"]
    assert dupes == 0
    assert pages >= 2  # the :00 and :10 ticks keep theirs (the poller tests check the grid)
