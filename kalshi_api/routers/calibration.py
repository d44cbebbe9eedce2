"""Calibration analyses: summary rows (newest first) and one analysis with its bands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from kalshi_api.deps import ReposDep
from kalshi_api.errors import json_error
from kalshi_api.params import MAX_ID, TEXT_PATTERN, TICKER_MAX, Limit, Offset
from kalshi_api.responses import LIST_RESPONSES, page_items
from kalshi_api.schemas import CalibrationOut, CalibrationSummaryOut, ErrorOut
from kalshi_core.analysis.calibration import CalibrationResult

router = APIRouter(
    prefix="/calibration",
    tags=["calibration"],
    responses={
        404: {"model": ErrorOut, "description": "Unknown calibration id."},
        503: {"model": ErrorOut, "description": "Database unavailable."},
    },
)


def _summary(result: CalibrationResult) -> CalibrationSummaryOut:
    return CalibrationSummaryOut.model_validate(result.model_dump(exclude={"bands"}))


@router.get(
    "",
    name="list",
    summary="Stored calibration analyses, newest first (totals, no bands)",
    response_model=list[CalibrationSummaryOut],
    responses=LIST_RESPONSES,
)
async def list_calibrations(
    repos: ReposDep,
    response: Response,
    series: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=TICKER_MAX,
            pattern=TEXT_PATTERN,
            description="Only analyses of this series.",
        ),
    ] = None,
    pooled: Annotated[
        bool | None,
        Query(description="true: only analyses over every series; false: only per-series ones."),
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[CalibrationSummaryOut]:
    page = await repos.calibration.list(series, pooled=pooled, limit=limit, offset=offset)
    return page_items(response, page, _summary)


@router.get(
    "/{calibration_id}",
    name="get",
    summary="One calibration analysis with its price bands",
    response_model=CalibrationOut,
)
async def get_calibration(
    repos: ReposDep, calibration_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> CalibrationOut | Response:
    result = await repos.calibration.get(calibration_id)
    if result is None:
        return json_error(404, f"unknown calibration id {calibration_id}")
    return CalibrationOut.model_validate(result.model_dump())
