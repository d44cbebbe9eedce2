"""The scopes of the calibration analysis: one partition per series with settled trade prints,
plus `all` (every series pooled).

Series are not known in advance (a backfill or an import brings new ones), so the partitions
are dynamic, registered by `calibration_scopes_sensor`. Kalshi series tickers are upper case,
so the lower-case `all` cannot collide with one.
"""

import dagster as dg

SCOPES_NAME = "calibration_scopes"
calibration_scopes = dg.DynamicPartitionsDefinition(name=SCOPES_NAME)

POOLED_KEY = "all"


def scope_series(partition_key: str) -> str | None:
    """The series a partition analyses; None for the pooled `all`."""
    return None if partition_key == POOLED_KEY else partition_key
