"""Contract: a backtest asset's stored row records the same provenance whichever path wrote it
(a sweep's best combination or a single run: resolved tickers, grid, staleness, sizes_capped,
fill delay, and the requested scope), and a Sharpe frequency finer than the quote grid is
refused before anything runs (it would inflate the Sharpe by sqrt(grid / sharpe_freq))."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kalshi_core.models import BacktestResult
from kalshi_core.storage.database import Database, repositories
from pipeline.test_backtest_assets import N_MARKETS, materialize, seed

pytestmark = pytest.mark.usefixtures("clean_db")


def stored(url: str, result: Any, node: str) -> BacktestResult:
    meta = result.asset_materializations_for_node(node)[0].metadata

    async def read() -> BacktestResult | None:
        db = await Database.connect(url, max_size=1)
        try:
            return await repositories(db).backtests.get(int(meta["backtest_id"].value))
        finally:
            await db.close()

    row = asyncio.run(read())
    assert row is not None
    return row


def test_sweep_row_and_single_run_row_record_the_same_provenance(database_url: str) -> None:
    asyncio.run(seed(database_url))
    single = materialize(
        "mean_reversion", database_url, params_json='{"lookback": 10, "entry_z": 1.0}'
    )
    sweep = materialize(
        "mean_reversion", database_url, grid_json='{"lookback": [10], "entry_z": [1.0]}'
    )
    assert single.success
    assert sweep.success
    one = stored(database_url, single, "backtest_mean_reversion")
    best = stored(database_url, sweep, "backtest_mean_reversion")
    assert best.deflated_sharpe is not None  # really the sweep's row
    assert one.deflated_sharpe is None
    assert best.params == one.params
    assert best.universe == one.universe
    assert one.universe == {
        "series": ["KXTEST"],
        "events": [],
        "requested_tickers": [],
        "markets": N_MARKETS,
        "tickers": sorted(f"KXTEST-26NOV20-B{i}" for i in range(N_MARKETS)),
        "freq": "0 days 00:01:00",
        "staleness": "0 days 00:05:00",
        "sizes_capped": True,
        "fill_delay_bars": 1,
        "max_wait_bars": 0,
    }


def test_sharpe_frequency_finer_than_the_grid_fails_the_run(database_url: str) -> None:
    asyncio.run(seed(database_url))
    result = materialize("momentum", database_url, freq="5min", sharpe_freq="1min")
    assert not result.success
    failure = str(result.get_step_failure_events()[0].event_specific_data)
    assert "sharpe_freq 1min is finer than the backtest grid step 5min" in failure
    # The defaults (1-minute grid, hourly Sharpe) still run.
    assert materialize("momentum", database_url).success
