"""The ingestion job: one run polls one window of one tier (started by `sensors.py`)."""

import dagster as dg

JOB_NAME = "market_snapshots_ingestion"

ingestion_job = dg.define_asset_job(
    JOB_NAME,
    selection=dg.AssetSelection.assets("market_snapshots").without_checks()
    | dg.AssetSelection.checks(
        dg.AssetCheckKey(dg.AssetKey("market_snapshots"), "window_tick_coverage"),
        dg.AssetCheckKey(dg.AssetKey("market_snapshots"), "window_quotes_sane"),
        dg.AssetCheckKey(dg.AssetKey("market_snapshots"), "raw_payload_schema_drift"),
    ),
    description="Polls one window of one tier (run config) into the day partition.",
    # one step: the multiprocess executor would pay a second process start and import per run
    executor_def=dg.in_process_executor,
    tags={"dagster/max_retries": "2", "dagster/retry_strategy": "FROM_FAILURE"},
)
