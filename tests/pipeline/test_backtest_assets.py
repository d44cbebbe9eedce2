"""Contract: every registered strategy is a Dagster asset; materializing one over stored
snapshots (real PostgreSQL) writes one `backtest_results` row readable through the repository
and shows its metrics and equity curve as metadata; a sweep reports out-of-sample and deflated
Sharpe; crossed quotes in the range block the run with a clear message."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import dagster as dg
import pytest

from kalshi_core.backtest.strategies import get_strategy, list_strategies
from kalshi_core.models import Market, MarketSnapshot, Series
from kalshi_core.storage.database import Database, repositories
from kalshi_pipeline.defs.backtests.assets import build_backtest_asset, sparkline
from kalshi_pipeline.defs.resources import WorkbenchDatabase

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
N_MARKETS = 12
MINUTES = 180


async def seed(url: str, crossed: bool = False) -> None:
    db = await Database.connect(url, max_size=2)
    repos = repositories(db)
    async with db.acquire() as conn:
        await conn.execute(
            "TRUNCATE market_snapshots, market_latest, ingest_polls, backtest_results, markets, "
            "events, series RESTART IDENTITY CASCADE"
        )
    await repos.series.upsert_many(
        [Series(ticker="KXTEST", fee_type="quadratic", fee_multiplier=Decimal(1))]
    )
    close = T0 + timedelta(minutes=MINUTES)
    markets = [
        Market(
            ticker=f"KXTEST-26NOV20-B{i}",
            event_ticker="KXTEST-26NOV20",
            series_ticker="KXTEST",
            status="finalized",
            close_time=close,
            result="yes" if i % 4 else "no",
            # the scheduled close was known before the backtest window (close-time history)
            updated_at=T0 - timedelta(days=1),
        )
        for i in range(N_MARKETS)
    ]
    await repos.markets.upsert_markets(markets)
    for minute in range(MINUTES):
        tick = T0 + timedelta(minutes=minute)
        snaps = []
        for i, m in enumerate(markets):
            # favourites drift up; every market wiggles so mean reversion and momentum trade
            base = Decimal("0.80") + Decimal(i % 5) / 100 + Decimal(minute % 17) / 200
            bid = min(base, Decimal("0.96"))
            ask = bid + Decimal("0.02")
            if crossed and minute == 30 and i == 0:
                bid, ask = Decimal("0.70"), Decimal("0.60")
            snaps.append(
                MarketSnapshot(
                    market_ticker=m.ticker,
                    timestamp=tick,
                    sequence=minute,
                    yes_bid=bid,
                    yes_ask=ask,
                    last_price=bid,
                    yes_bid_size=Decimal(500),
                    yes_ask_size=Decimal(500),
                    volume=Decimal(minute),
                )
            )
        await repos.markets.save_many(snaps)
    await db.close()


def materialize(name: str, url: str, **config: Any) -> dg.ExecuteInProcessResult:
    asset = build_backtest_asset(get_strategy(name))
    cfg = {
        "series": ["KXTEST"],
        "start": T0.isoformat(),
        "end": (T0 + timedelta(minutes=MINUTES)).isoformat(),
        "min_coverage": 0.0,
        **config,
    }
    return dg.materialize(
        [asset],
        run_config={"ops": {f"backtest_{name}": {"config": cfg}}},
        resources={"database": WorkbenchDatabase(database_url=url)},
        raise_on_error=False,
    )


def test_one_asset_per_registered_strategy() -> None:
    names = {s.name for s in list_strategies()}
    assert {"favourite", "mean_reversion", "momentum"} <= names


def test_sparkline_shape() -> None:
    assert sparkline([0.0, 1.0, 2.0]) == "▁▄█"
    assert sparkline([]) == ""


@pytest.mark.usefixtures("clean_db")
def test_favourite_backtest_writes_a_result(database_url: str) -> None:
    asyncio.run(seed(database_url))
    result = materialize("favourite", database_url, params_json='{"hours_to_close": 4}')
    assert result.success
    meta = {
        k: v.value
        for k, v in result.asset_materializations_for_node("backtest_favourite")[0].metadata.items()
    }
    assert meta["num_trades"] > 0
    assert meta["markets"] == N_MARKETS
    assert "▁" in str(meta["equity_curve"]) or "█" in str(meta["equity_curve"])

    async def read() -> Any:
        db = await Database.connect(database_url, max_size=1)
        try:
            return await repositories(db).backtests.get(int(meta["backtest_id"]))
        finally:
            await db.close()

    stored = asyncio.run(read())
    assert stored is not None
    assert stored.strategy_name == "favourite"
    assert stored.num_trades == meta["num_trades"]
    assert float(stored.total_pnl) == pytest.approx(meta["total_pnl"])
    # three of four favourites settle YES: held-to-settlement PnL is realised
    assert stored.settlement_pnl != 0


@pytest.mark.usefixtures("clean_db")
def test_sweep_reports_out_of_sample_and_deflated_sharpe(database_url: str) -> None:
    asyncio.run(seed(database_url))
    result = materialize(
        "mean_reversion",
        database_url,
        grid_json='{"lookback": [10, 20], "entry_z": [1.0, 1.5]}',
    )
    assert result.success
    meta = result.asset_materializations_for_node("backtest_mean_reversion")[0].metadata
    assert meta["trials"].value == 4


@pytest.mark.usefixtures("clean_db")
def test_crossed_quotes_block_the_backtest(database_url: str) -> None:
    asyncio.run(seed(database_url, crossed=True))
    result = materialize("momentum", database_url)
    assert not result.success
    failure = result.get_step_failure_events()[0]
    assert "crossed" in str(failure.event_specific_data)


def test_a_backtest_assets_description_holds_its_strategys_whole_docstring() -> None:
    # The registry is process-wide: other tests register strategies of their own (some without
    # a docstring on purpose); this checks the workbench's.
    own = [s for s in list_strategies() if s.fn.__module__.startswith("kalshi_core.")]
    assert len(own) >= 4, [s.name for s in own]
    for spec in own:
        description = build_backtest_asset(spec).descriptions_by_key[
            dg.AssetKey(f"backtest_{spec.name}")
        ]
        assert spec.details, spec.name  # every strategy of the workbench documents its rule
        assert description.startswith(spec.details + "\n\nBacktest of strategy"), spec.name
