"""Partitions shared by the assets: UTC days, the same days as the Postgres table partitions."""

import dagster as dg

# Days since the workbench's epoch; today's partition exists while the day is in progress.
snapshot_days = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC", end_offset=1)

# History (trades, candles) reaches further back than our own polling: to Kalshi's launch
# (July 2021); recorded economics tapes start in January 2022 (docs/REALDATA.md).
history_days = dg.DailyPartitionsDefinition(start_date="2021-07-01", timezone="UTC", end_offset=1)
