"""Contract: the Dagster assets `market_trades` and `market_candles` materialize a partition (and a
range of partitions in one run, as their backfill policy asks) against the simulator and a real
PostgreSQL, write what the core backfill writes, report rows/markets/requests/retries/429s and
the live vs historical split in their metadata, and the code location loads with them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dagster as dg
import psycopg2
import pytest

from kalshi_pipeline.definitions import defs
from kalshi_pipeline.defs.history.assets import MAX_DAYS_PER_RUN, market_candles, market_trades
from kalshi_pipeline.defs.resources import KalshiApiResource, WorkbenchDatabase
from kalshi_sim.testing import SimServer
from tests.history.conftest import END_DAY, FIRST_DAY, SERIES

pytestmark = pytest.mark.timeout(900)


def _resources(sim: SimServer, database_url: str) -> dict[str, Any]:
    return {
        "kalshi": KalshiApiResource(base_url=sim.base_url, rate_limit_per_s=0),
        "database": WorkbenchDatabase(database_url=database_url),
    }


def _config(periods: list[int]) -> dict[str, Any]:
    return {
        "ops": {
            "market_trades": {"config": {"series": list(SERIES)}},
            "market_candles": {"config": {"series": list(SERIES), "periods": periods}},
        }
    }


def _rows(database_url: str, table: str) -> list[tuple[Any, ...]]:
    # Sync on purpose: dg.materialize runs the asset's own event loop in this thread.
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            f"SELECT ticker, period_minutes, end_time FROM {table}"
            if table == "market_candles"
            else f"SELECT trade_id, ticker, created_time FROM {table}"
        )
        return list(cur.fetchall())


def _meta(result: dg.ExecuteInProcessResult, node: str) -> dict[str, Any]:
    mats = result.asset_materializations_for_node(node)
    assert mats
    return {k: v.value for k, v in mats[0].metadata.items()}


def test_definitions_load_with_history_assets() -> None:
    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    keys = {k.to_user_string() for k in loaded.resolve_all_asset_keys()}
    assert {"market_trades", "market_candles"} <= keys
    policy = market_trades.backfill_policy
    assert policy is not None
    assert policy.max_partitions_per_run == MAX_DAYS_PER_RUN


@pytest.mark.usefixtures("clean_db")
def test_materialize_one_partition(sim: SimServer, database_url: str) -> None:
    result = dg.materialize(
        [market_trades, market_candles],
        partition_key=FIRST_DAY.isoformat(),
        run_config=_config([60, 1440]),
        resources=_resources(sim, database_url),
    )
    assert result.success
    trades = _meta(result, "market_trades")
    candles = _meta(result, "market_candles")
    rows = _rows(database_url, "market_trades")
    assert trades["rows"] == len(rows) > 0
    assert trades["days"] == 1
    assert trades["rows_live"] + trades["rows_historical"] == trades["rows"]
    assert trades["requests"] >= trades["requests_live"] + trades["requests_historical"]
    assert trades["http_429s"] == 0
    assert trades["markets"] == trades["markets_live"] + trades["markets_historical"] > 0
    assert {r[2].date() for r in rows} == {FIRST_DAY}
    crows = _rows(database_url, "market_candles")
    assert candles["rows"] == len(crows) > 0
    assert set(candles["per_period"]) == {"60", "1440"}


@pytest.mark.usefixtures("clean_db")
def test_materialize_a_partition_range_in_one_run(sim: SimServer, database_url: str) -> None:
    last = END_DAY - timedelta(days=1)
    result = dg.materialize(
        [market_trades],
        run_config={"ops": {"market_trades": _config([60])["ops"]["market_trades"]}},
        resources=_resources(sim, database_url),
        tags={
            "dagster/asset_partition_range_start": FIRST_DAY.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
    )
    assert result.success
    meta = _meta(result, "market_trades")
    assert meta["days"] == 2
    assert meta["rows_live"] > 0
    assert meta["rows_historical"] > 0
    rows = _rows(database_url, "market_trades")
    assert meta["rows"] == len(rows)
    assert {r[2].date() for r in rows} == {FIRST_DAY, last}
