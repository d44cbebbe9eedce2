"""Contract: the Dagster code location loads, and holds what the docs and the UI promise.

`kalshi_pipeline.definitions` loads every module under `defs/` (assets in `assets.py`, jobs and
schedules in `schedules.py`, sensors in `sensors.py`); a module that fails to import, a name
clash or a job selecting a missing asset fails here instead of in the Dagster UI.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

import kalshi_pipeline.defs
from kalshi_core.backtest.strategies import list_strategies
from kalshi_pipeline.definitions import defs


def test_definitions_load_and_validate() -> None:
    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    repo = loaded.get_repository_def()
    assets = {k.to_user_string() for k in loaded.resolve_all_asset_keys()}
    assert {
        "market_snapshots",
        "compacted_market_snapshots",
        "raw_page_archive",
        "market_trades",
        "market_candles",
    } <= assets
    # one backtest asset per registered strategy
    assert {f"backtest_{s.name}" for s in list_strategies()} <= assets
    jobs = {j.name for j in repo.get_all_jobs()}
    assert {"market_snapshots_ingestion", "metadata_refresh", "snapshot_compaction"} <= jobs
    assert {"raw_page_retention"} <= jobs
    schedules = {s.name for s in repo.schedule_defs}
    assert {"snapshot_compaction_schedule"} <= schedules
    assert len(schedules) >= 3
    sensors = {s.name for s in repo.sensor_defs}
    assert "ingestion_sensor" in sensors
    checks = {key.name for key in loaded.resolve_asset_graph().asset_check_keys}
    assert {"window_tick_coverage", "partition_poll_coverage"} <= checks


def test_jobs_schedules_and_sensors_live_in_their_modules() -> None:
    """The model project's layout: jobs and schedules are defined in `schedules.py`, sensors in
    `sensors.py`, never in `assets.py` or elsewhere."""
    root = Path(kalshi_pipeline.defs.__file__).parent
    misplaced: list[str] = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        for marker, home in _HOMES.items():
            if marker in text and path.name != home:
                misplaced.append(f"{path.relative_to(root)}: {marker}")
    assert misplaced == []
    loaded = defs()
    assert loaded.get_repository_def().get_job("market_snapshots_ingestion") is not None


_HOMES = {
    "dg.define_asset_job(": "schedules.py",
    "dg.ScheduleDefinition(": "schedules.py",
    "@dg.schedule(": "schedules.py",
    "@dg.sensor(": "sensors.py",
}
