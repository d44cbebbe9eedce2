"""`/health`: 200 while the database answers, 503 when it does not.

The body also says, per tier, how ingestion is doing: its status (ok, degraded, failing,
not_running; see `kalshi_api.ingestion_health`), the reasons in words and the age of the last
ok tick. That is information for the operator and never fails the check: an API over
yesterday's data still serves it, and a stopped poller is `not_running`, not an API fault.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kalshi_api.errors import NOT_SERVING, ApiNotReadyError, describe_unavailable
from kalshi_api.ingestion_health import TIERS, TierHealth, tier_health
from kalshi_api.schemas import FreshnessOut, HealthOut
from kalshi_core.settings import Settings
from kalshi_core.storage.postgres.poll_ticks import PostgresPollTickReader
from kalshi_core.storage.repositories import JsonReadRepository

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    name="check",
    summary="Liveness of the API and its database, plus ingestion status per tier",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "The database does not answer."}},
)
async def health(request: Request, response: Response) -> HealthOut:
    now = datetime.now(UTC)
    reads: JsonReadRepository | None = getattr(request.app.state, "reads", None)
    settings: Settings = request.app.state.settings
    timeout_s: float = min(settings.api_db_timeout_s, 2.0)
    try:
        if reads is None:
            raise ApiNotReadyError("the database pool is not open")
        reader = PostgresPollTickReader(request.app.state.db)
        async with asyncio.timeout(timeout_s):
            await reads.ping()
            tiers: list[TierHealth] = [
                await tier_health(reader, reads, settings, tier, now, with_today=False)
                for tier in TIERS
            ]
    except NOT_SERVING as exc:
        response.status_code = 503
        return HealthOut(
            status="unavailable",
            database="unavailable",
            detail=describe_unavailable(exc),
            checked_at=now,
            ingestion=[],
        )
    return HealthOut(
        status="ok",
        database="ok",
        checked_at=now,
        ingestion=[
            FreshnessOut(
                tier=tier,
                enabled=h.enabled,
                status=h.status,
                reasons=h.reasons,
                last_ok_tick=h.last_ok_tick,
                age_s=None
                if h.last_ok_tick is None
                else round((now - h.last_ok_tick).total_seconds(), 3),
            )
            for tier, h in zip(TIERS, tiers, strict=True)
        ],
    )
