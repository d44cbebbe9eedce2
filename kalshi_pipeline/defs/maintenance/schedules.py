"""Nightly maintenance: the compaction, archive and raw-page retention jobs and their schedules."""

from datetime import UTC, timedelta

import dagster as dg

from kalshi_pipeline.defs.maintenance.assets import (
    compacted_market_snapshots,
    raw_page_archive,
    snapshot_archive,
)

compaction_job = dg.define_asset_job(
    "snapshot_compaction",
    selection=dg.AssetSelection.assets(compacted_market_snapshots),
    executor_def=dg.in_process_executor,
)


@dg.schedule(
    name="snapshot_compaction_schedule",
    job=compaction_job,
    cron_schedule="15 1 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Rewrites yesterday's snapshots in market order (fast history reads).",
)
def compaction_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    # Yesterday, not "the last partition": snapshot_days ends with today's (in progress) day.
    day = (context.scheduled_execution_time.astimezone(UTC) - timedelta(days=1)).date()
    return dg.RunRequest(run_key=day.isoformat(), partition_key=day.isoformat())


retention_job = dg.define_asset_job(
    "raw_page_retention",
    selection=dg.AssetSelection.assets(raw_page_archive),
    executor_def=dg.in_process_executor,
)

retention_schedule = dg.ScheduleDefinition(
    job=retention_job,
    cron_schedule="5 1 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Drops raw API pages older than RAW_PAGE_RETENTION_DAYS.",
)


archive_job = dg.define_asset_job(
    "snapshot_archiving",
    selection=dg.AssetSelection.assets(snapshot_archive),
    executor_def=dg.in_process_executor,
)


@dg.schedule(
    name="snapshot_archive_schedule",
    job=archive_job,
    cron_schedule="30 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Archives yesterday's snapshots to Parquet; days older than ARCHIVE_HOT_DAYS are "
    "served from their files and their partitions dropped after ARCHIVE_DROP_GRACE_S.",
)
def archive_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    # after the compaction of 01:15 has rewritten the day (both take the day's partition)
    day = (context.scheduled_execution_time.astimezone(UTC) - timedelta(days=1)).date()
    return dg.RunRequest(run_key=day.isoformat(), partition_key=day.isoformat())
