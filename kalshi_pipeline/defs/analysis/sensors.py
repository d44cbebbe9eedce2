"""`calibration_scopes_sensor`: registers a `calibration` partition per series with settled
trade prints (and `all`), so a new series appears in the asset's partition list by itself.

It launches no run: analyses are materialized on demand (a run per partition, and the run queue
is shared with the ingestion windows, which must start on time).
"""

import asyncio
from collections.abc import Iterable

import dagster as dg

from kalshi_pipeline.defs.analysis.partitions import POOLED_KEY, SCOPES_NAME, calibration_scopes
from kalshi_pipeline.defs.resources import WorkbenchDatabase


def new_scopes(known: Iterable[str], series: Iterable[str]) -> list[str]:
    """Partition keys to add: `all` once any series has prints, then unknown series in order."""
    wanted = list(series)
    if wanted:
        wanted.insert(0, POOLED_KEY)
    seen = set(known)
    return [key for key in wanted if key not in seen]


@dg.sensor(
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a `calibration` partition for each series with trade prints of settled "
    "markets (plus `all`, every series pooled); never launches a run.",
)
def calibration_scopes_sensor(
    context: dg.SensorEvaluationContext, database: WorkbenchDatabase
) -> dg.SensorResult | dg.SkipReason:
    async def load() -> list[str]:
        async with database.repositories() as repos:
            return await repos.calibration.series_with_trades()

    known = context.instance.get_dynamic_partitions(SCOPES_NAME)
    keys = new_scopes(known, asyncio.run(load()))
    if not keys:
        return dg.SkipReason(f"no new series with settled trade prints ({len(known)} known)")
    context.log.info(f"adding calibration partitions: {', '.join(keys)}")
    return dg.SensorResult(dynamic_partitions_requests=[calibration_scopes.build_add_request(keys)])
