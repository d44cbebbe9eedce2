"""The ingestion sensor: one run per (tier, poll window), requested shortly before the window opens.

A pure function of (cursor, clock, settings) decides the run requests; the run key is the window,
so the sensor may tick as often as it likes without ever starting a second poller for a window.
The sensor also reaps ingestion runs whose process died (`kill -9`, OOM, machine reboot): the
default run launcher cannot see that, and a dead run would hold its tier's run-queue slot.
"""

import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg

from kalshi_core.settings import Settings, get_settings
from kalshi_pipeline.defs.ingestion.schedules import JOB_NAME, ingestion_job
from kalshi_pipeline.defs.metadata.schedules import metadata_job
from kalshi_pipeline.lib.poll_grid import GridConfigError, partition_key, run_key
from kalshi_pipeline.lib.rate_budget import RateBudgetError
from kalshi_pipeline.lib.tiers import TierSpec, tier_specs

INGESTION_TAG = "kalshi/ingestion"
WINDOW_TAG = "kalshi/window_start"
# A run is dead once its window ended this long ago (it exits right after its last tick).
GRACE_AFTER_WINDOW = timedelta(seconds=90)


@dataclass(frozen=True, slots=True)
class Plan:
    requests: list[dg.RunRequest]
    cursor: dict[str, str]
    skip_reason: str | None


def plan_requests(now: datetime, cursor: dict[str, str], settings: Settings) -> Plan:
    """Run requests due at `now`: per enabled tier, each window from `windows_due` that is newer
    than the last one requested (the cursor), so a window is never requested twice."""
    try:
        specs = tier_specs(settings)
    except (RateBudgetError, GridConfigError) as exc:
        return Plan([], cursor, f"ingestion refused: {exc}")
    if not specs:
        return Plan(
            [],
            cursor,
            "no tier enabled: set WATCHLIST_SERIES/EVENTS/TICKERS or CATALOGUE_ENABLED=true",
        )
    requests: list[dg.RunRequest] = []
    new_cursor = dict(cursor)
    for tier, spec in specs.items():
        last = cursor.get(tier)
        for start in spec.grid.windows_due(now, settings.ingestion_lead_s):
            iso = start.strftime("%Y-%m-%dT%H:%M:%SZ")
            if last is not None and iso <= last:
                continue
            requests.append(_request(spec, start, iso))
            new_cursor[tier] = iso
    skip = None if requests else "every due window already has its run"
    return Plan(requests, new_cursor, skip)


def _request(spec: TierSpec, start: datetime, iso: str) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=run_key(spec.tier, start),
        partition_key=partition_key(start),
        run_config={
            "ops": {"market_snapshots": {"config": {"tier": spec.tier, "window_start": iso}}}
        },
        tags={INGESTION_TAG: spec.tier, WINDOW_TAG: iso},
        job_name=JOB_NAME,
    )


@dg.sensor(
    jobs=[ingestion_job, metadata_job],
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests one ingestion run per tier and poll window (run key = window start), "
    "a little before the window opens; reaps runs whose process died; fills the metadata "
    "once on a fresh install.",
)
def ingestion_sensor(
    context: dg.SensorEvaluationContext,
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    cursor: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    now = datetime.now(UTC)
    _reap_dead_runs(context, now)
    # a fresh install fills series/events/markets once instead of waiting for the hourly schedule
    bootstrap = "metadata_bootstrap" not in cursor and (
        context.instance.get_latest_materialization_event(dg.AssetKey("series")) is None
    )
    plan = plan_requests(now, cursor, get_settings())
    new_cursor = {**plan.cursor, **({"metadata_bootstrap": "requested"} if bootstrap else {})}
    if new_cursor != cursor:
        context.update_cursor(json.dumps(new_cursor, sort_keys=True))
    if bootstrap:
        yield dg.RunRequest(run_key="metadata-bootstrap", job_name=metadata_job.name)
    yield from plan.requests
    if plan.skip_reason:
        yield dg.SkipReason(plan.skip_reason)


def _reap_dead_runs(context: dg.SensorEvaluationContext, now: datetime) -> None:
    runs = context.instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED],
            tags={INGESTION_TAG: ["watchlist", "catalogue"]},
        ),
        limit=20,
    )
    host = socket.gethostname()
    for run in runs:
        reason = _death_reason(run.tags, now, host)
        if reason:
            context.log.warning(f"marking ingestion run {run.run_id} failed: {reason}")
            context.instance.report_run_failed(run, f"reaped by ingestion_sensor: {reason}")


def _death_reason(tags: dict[str, str] | object, now: datetime, host: str) -> str | None:
    assert isinstance(tags, dict)
    pid, run_host = tags.get("kalshi/pid"), tags.get("kalshi/host")
    if pid and run_host == host and not _alive(int(pid)):
        return f"its process {pid} is gone"
    window = tags.get(WINDOW_TAG)
    if window:
        start = datetime.fromisoformat(window.replace("Z", "+00:00"))
        window_s = get_settings().poll_window_s
        if now > start + timedelta(seconds=window_s) + GRACE_AFTER_WINDOW:
            return f"its window {window} ended more than {GRACE_AFTER_WINDOW} ago"
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped by its parent) is dead for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True
