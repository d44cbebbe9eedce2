"""Ingestion health per tier: status, last tick, coverage over the last hour and today, gaps.

Everything comes from `ingest_polls` (one row per tier and grid tick); which lost ticks mean
"not running" and which mean "failing" is decided by `kalshi_api.ingestion_health`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from fastapi import APIRouter

from kalshi_api.deps import ReadsDep, ReposDep, SettingsDep
from kalshi_api.ingestion_health import TIERS, Coverage, Tier, TierHealth, tier_health
from kalshi_api.schemas import (
    CoverageOut,
    ErrorOut,
    GapOut,
    IngestionStatusOut,
    PollOut,
    TierStatusOut,
)
from kalshi_core.settings import Settings
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.postgres.poll_ticks import PostgresPollTickReader
from kalshi_core.storage.repositories import JsonReadRepository

router = APIRouter(
    prefix="/ingestion",
    tags=["ingestion"],
    responses={503: {"model": ErrorOut, "description": "Database unavailable."}},
)

RECENT_ERRORS: Final = 20


def coverage_out(c: Coverage) -> CoverageOut:
    return CoverageOut(
        start=c.start,
        end=c.end,
        expected=c.expected,
        ok=c.ok,
        missed=c.missed,
        errors=c.errors,
        ratio=c.ratio,
        failed=c.failed,
        not_running=c.not_running,
        pending=c.pending,
        running_ratio=c.running_ratio,
        gaps=[GapOut(start=g.start, end=g.end, kind=g.kind) for g in c.gaps],
    )


async def tier_status(
    repos: Repositories, reads: JsonReadRepository, settings: Settings, tier: Tier, now: datetime
) -> TierStatusOut:
    health: TierHealth = await tier_health(
        PostgresPollTickReader(repos.db), reads, settings, tier, now, with_today=True
    )
    last = await repos.polls.last(tier)
    errors = await reads.recent_errors(tier, now - timedelta(hours=24), RECENT_ERRORS)
    return TierStatusOut(
        tier=tier,
        enabled=health.enabled,
        status=health.status,
        reasons=health.reasons,
        interval_s=health.interval_s,
        stale_after_s=health.stale_after_s,
        last_tick=PollOut.model_validate(last) if last is not None else None,
        last_ok_tick=health.last_ok_tick,
        last_live_tick=health.last_live_tick,
        last_hour=None if health.last_hour is None else coverage_out(health.last_hour),
        today=None if health.today is None else coverage_out(health.today),
        recent_errors=[PollOut.model_validate(e) for e in errors],
    )


@router.get(
    "/status",
    name="status",
    summary="Ingestion status, coverage, gaps and errors per tier",
    response_model=IngestionStatusOut,
)
async def ingestion_status(
    repos: ReposDep, reads: ReadsDep, settings: SettingsDep
) -> IngestionStatusOut:
    now = datetime.now(UTC)
    return IngestionStatusOut(
        generated_at=now,
        tiers=[await tier_status(repos, reads, settings, tier, now) for tier in TIERS],
    )
