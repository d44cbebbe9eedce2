"""Ingestion health per tier: last tick, coverage over the last hour and today, gaps, errors.

Everything comes from `ingest_polls` (one row per tier and grid tick). Coverage needs the grid:
the watchlist's is POLL_INTERVAL_S; the catalogue's is CATALOGUE_INTERVAL_S, or, when that is 0
(automatic, chosen by the rate planner in the pipeline), the spacing of its recorded ticks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Final, Literal

from fastapi import APIRouter

from kalshi_api.deps import ReadsDep, ReposDep, SettingsDep
from kalshi_api.queries import ApiReads
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
from kalshi_core.storage.repositories import CoverageReport

router = APIRouter(
    prefix="/api/v1/ingestion",
    tags=["ingestion"],
    responses={503: {"model": ErrorOut, "description": "Database unavailable."}},
)

Tier = Literal["watchlist", "catalogue"]
TIERS: Final[tuple[Tier, ...]] = ("watchlist", "catalogue")
RECENT_ERRORS: Final = 20


def _coverage(report: CoverageReport) -> CoverageOut:
    return CoverageOut(
        start=report.start,
        end=report.end,
        expected=report.expected,
        ok=report.ok,
        missed=report.missed,
        errors=report.errors,
        ratio=report.ratio,
        gaps=[GapOut(start=a, end=b) for a, b in report.gaps],
    )


async def _interval(reads: ApiReads, settings: Settings, tier: Tier, now: datetime) -> int | None:
    if tier == "watchlist":
        return settings.poll_interval_s
    if settings.catalogue_interval_s:
        return settings.catalogue_interval_s
    # Automatic cadence: grid ticks are multiples of the interval, so the smallest spacing
    # between recorded ticks is the interval (or a multiple of it if ticks were lost).
    ticks = await reads.recent_ticks(tier, now - timedelta(hours=1))
    gaps = [int((a - b).total_seconds()) for a, b in pairwise(ticks)]
    positive = [g for g in gaps if g > 0]
    return min(positive) if positive else None


async def tier_status(
    repos: Repositories, reads: ApiReads, settings: Settings, tier: Tier, now: datetime
) -> TierStatusOut:
    last = await repos.polls.last(tier)
    interval = await _interval(reads, settings, tier, now)
    hour = today = None
    if interval:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        hour = _coverage(await repos.polls.coverage(tier, now - timedelta(hours=1), now, interval))
        today = _coverage(await repos.polls.coverage(tier, midnight, now, interval))
    errors = await reads.recent_errors(tier, now - timedelta(hours=24), RECENT_ERRORS)
    return TierStatusOut(
        tier=tier,
        interval_s=interval,
        last_tick=PollOut.model_validate(last) if last is not None else None,
        last_ok_tick=await reads.last_ok_tick(tier),
        last_hour=hour,
        today=today,
        recent_errors=[PollOut.model_validate(e) for e in errors],
    )


@router.get(
    "/status",
    name="status",
    summary="Ingestion coverage, gaps and errors per tier",
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
