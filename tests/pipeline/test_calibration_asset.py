"""Contract: the Dagster asset `calibration` over real PostgreSQL.

Materializing the KXCAL partition over the hand-worked fixture (`tests/calibration_fixture.py`)
stores exactly the hand figures in `calibration_results`, shows the Brier score, observations
and a markdown band table as metadata, and its inline checks pass (the bands add up to the SQL
recount; the scope has observations). Re-materializing replaces the row (same id); another
window is another row; the pooled `all` partition covers every series; a flat-fee series
without a rate and bad band edges fail with a clear message. The sensor registers `all` and
each series with settled prints, once. The code location loads with the asset and its sensor.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import dagster as dg
import pytest

from kalshi_core.analysis.calibration import CalibrationResult
from kalshi_core.models import Series
from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.postgres.calibration import PostgresCalibrationRepository
from kalshi_pipeline.definitions import defs
from kalshi_pipeline.defs.analysis.assets import calibration
from kalshi_pipeline.defs.analysis.partitions import SCOPES_NAME
from kalshi_pipeline.defs.analysis.sensors import calibration_scopes_sensor, new_scopes
from kalshi_pipeline.defs.resources import WorkbenchDatabase
from tests.calibration_fixture import (
    EXPECTED_BANDS,
    EXPECTED_BRIER,
    EXPECTED_CONTRACTS,
    EXPECTED_EXCLUSIONS,
    EXPECTED_OBSERVATIONS,
    seed,
)

pytestmark = pytest.mark.usefixtures("clean_db")


async def _seed(url: str, series: Series | None = None) -> None:
    db = await Database.connect(url, max_size=2)
    try:
        repos = repositories(db)
        await seed(repos)
        if series is not None:
            await repos.series.upsert_many([series])
    finally:
        await db.close()


async def _stored(url: str) -> list[CalibrationResult]:
    db = await Database.connect(url, max_size=1)
    try:
        repos = repositories(db)
        page = await repos.calibration.list(limit=100)
        return [r for r in [await repos.calibration.get(int(i.id or 0)) for i in page.items] if r]
    finally:
        await db.close()


def _instance(*keys: str) -> dg.DagsterInstance:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(SCOPES_NAME, list(keys))
    return instance


def _materialize(
    url: str, key: str, instance: dg.DagsterInstance, **config: Any
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [calibration],
        partition_key=key,
        instance=instance,
        resources={"database": WorkbenchDatabase(database_url=url)},
        run_config={"ops": {"calibration": {"config": config}}},
        raise_on_error=False,
    )


def _meta(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    mats = result.asset_materializations_for_node("calibration")
    assert len(mats) == 1
    return {k: v.value for k, v in mats[0].metadata.items()}


def test_materialize_matches_the_hand_computation(database_url: str) -> None:
    asyncio.run(_seed(database_url))
    instance = _instance("all", "KXCAL")

    result = _materialize(database_url, "KXCAL", instance)
    assert result.success
    meta = _meta(result)
    assert meta["observations"] == EXPECTED_OBSERVATIONS
    assert meta["brier"] == pytest.approx(float(EXPECTED_BRIER))
    assert meta["excluded"] == EXPECTED_EXCLUSIONS
    assert "| [0.50, 0.65) | 3 | 25.00 | 0.5440 | 0.6000 | +8.93% |" in meta["bands"]
    assert "| [0.95, 1.00] | 0 | 0 | – | – | – |" in meta["bands"]
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["calibration_bands_add_up"].passed
    assert checks["calibration_has_observations"].passed

    [stored] = asyncio.run(_stored(database_url))
    assert stored.id == meta["calibration_id"]
    assert stored.series_ticker == "KXCAL"
    assert stored.brier == EXPECTED_BRIER
    assert stored.contracts == EXPECTED_CONTRACTS
    assert [
        (str(b.lower), b.observations, b.mean_price, b.win_rate, b.return_after_fees, b.fees)
        for b in stored.bands
    ] == [
        (lo, n, _d(mp), _d(wr), _d(ret), Decimal(fees))
        for lo, _hi, n, _c, mp, wr, ret, fees in EXPECTED_BANDS
    ]

    # re-materializing replaces the analysis; another window is another analysis
    assert _materialize(database_url, "KXCAL", instance).success
    assert _materialize(database_url, "KXCAL", instance, close_window_minutes=0).success
    after = asyncio.run(_stored(database_url))
    assert len(after) == 2
    assert stored.id in {r.id for r in after}
    no_window = next(r for r in after if r.close_window_s == 0)
    assert no_window.observations == EXPECTED_OBSERVATIONS + 2

    pooled = _materialize(database_url, "all", instance)
    assert pooled.success
    assert _meta(pooled)["scope"] == "all series"
    assert _meta(pooled)["observations"] == EXPECTED_OBSERVATIONS


def _d(v: str | None) -> Decimal | None:
    return None if v is None else Decimal(v)


def test_failures_say_what_is_wrong(database_url: str) -> None:
    asyncio.run(_seed(database_url, Series(ticker="KXCAL", fee_type="flat")))
    instance = _instance("KXCAL")

    flat = _materialize(database_url, "KXCAL", instance)
    assert not flat.success
    assert "flat_rate" in str(flat.get_step_failure_events()[0].step_failure_data.error)
    assert _materialize(database_url, "KXCAL", instance, flat_rate="0.035").success

    bad = _materialize(database_url, "KXCAL", instance, flat_rate="0.035", band_edges=["0", "0.9"])
    assert not bad.success
    assert "start at 0 and end at 1" in str(
        bad.get_step_failure_events()[0].step_failure_data.error
    )


def test_sensor_registers_scopes_once(database_url: str) -> None:
    assert new_scopes([], []) == []
    assert new_scopes(["all"], ["KXA", "KXB"]) == ["KXA", "KXB"]
    asyncio.run(_seed(database_url))
    instance = dg.DagsterInstance.ephemeral()
    resources = {"database": WorkbenchDatabase(database_url=database_url)}

    first = calibration_scopes_sensor(
        dg.build_sensor_context(instance=instance, resources=resources)
    )
    assert isinstance(first, dg.SensorResult)
    [request] = first.dynamic_partitions_requests or []
    assert list(request.partition_keys) == ["all", "KXCAL"]
    instance.add_dynamic_partitions(SCOPES_NAME, list(request.partition_keys))

    again = calibration_scopes_sensor(
        dg.build_sensor_context(instance=instance, resources=resources)
    )
    assert isinstance(again, dg.SkipReason)


def test_definitions_load_with_calibration() -> None:
    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    assert dg.AssetKey("calibration") in set(loaded.resolve_all_asset_keys())
    assert "calibration_scopes_sensor" in {s.name for s in loaded.sensors or []}


def test_check_fails_when_the_bands_miss_prints(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recount is independent of the bands: one print more in SQL fails the check."""
    original = PostgresCalibrationRepository.kept_totals

    async def one_more(
        self: PostgresCalibrationRepository, series: str | None, window: int
    ) -> tuple[int, Decimal]:
        n, contracts = await original(self, series, window)
        return n + 1, contracts + 1

    monkeypatch.setattr(PostgresCalibrationRepository, "kept_totals", one_more)
    asyncio.run(_seed(database_url))
    result = _materialize(database_url, "KXCAL", _instance("KXCAL"))
    assert result.success  # the analysis is stored; the check says it does not add up
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["calibration_bands_add_up"].passed
    assert checks["calibration_bands_add_up"].metadata["sql_observations"].value == 9
