"""The hourly metadata refresh: its job and schedule."""

import dagster as dg

metadata_job = dg.define_asset_job(
    "metadata_refresh",
    selection=dg.AssetSelection.groups("metadata"),
    executor_def=dg.in_process_executor,
)

metadata_schedule = dg.ScheduleDefinition(
    job=metadata_job,
    cron_schedule="7 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly refresh of series, events and recently settled markets.",
)
