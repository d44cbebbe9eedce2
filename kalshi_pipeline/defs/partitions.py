"""Partitions shared by the assets: UTC days, the same days as the Postgres table partitions."""

import dagster as dg

# Days since the workbench's epoch; today's partition exists while the day is in progress.
snapshot_days = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC", end_offset=1)

# History (trades, candles) reaches further back than our own polling.
history_days = dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="UTC", end_offset=1)
