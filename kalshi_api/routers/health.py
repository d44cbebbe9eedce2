"""`/health`: 200 while the database answers, 503 when it does not.

The body also says how fresh ingestion is (age of the last ok tick per tier); that is
information for the operator and never fails the check: an API over yesterday's data still
serves it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kalshi_api.errors import NOT_SERVING, ApiNotReadyError, describe_unavailable
from kalshi_api.queries import ApiReads
from kalshi_api.routers.ingestion import TIERS
from kalshi_api.schemas import FreshnessOut, HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    name="check",
    summary="Liveness of the API and its database, plus ingestion freshness",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "The database does not answer."}},
)
async def health(request: Request, response: Response) -> HealthOut:
    now = datetime.now(UTC)
    reads: ApiReads | None = getattr(request.app.state, "reads", None)
    timeout_s: float = min(request.app.state.settings.api_db_timeout_s, 2.0)
    try:
        if reads is None:
            raise ApiNotReadyError("the database pool is not open")
        async with asyncio.timeout(timeout_s):
            await reads.ping()
            ticks: list[Any] = [await reads.last_ok_tick(tier) for tier in TIERS]
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
                last_ok_tick=tick,
                age_s=None if tick is None else round((now - tick).total_seconds(), 3),
            )
            for tier, tick in zip(TIERS, ticks, strict=True)
        ],
    )
