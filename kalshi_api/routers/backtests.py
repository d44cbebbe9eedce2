"""Backtest results: summary rows (newest first) and one run in full."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from kalshi_api.deps import ReposDep
from kalshi_api.errors import json_error
from kalshi_api.params import MAX_ID, TEXT_PATTERN, Limit, Offset
from kalshi_api.responses import LIST_RESPONSES, page_items
from kalshi_api.schemas import BacktestOut, BacktestSummaryOut, ErrorOut
from kalshi_core.models import BacktestResult

router = APIRouter(
    prefix="/backtests",
    tags=["backtests"],
    responses={
        404: {"model": ErrorOut, "description": "Unknown backtest id."},
        503: {"model": ErrorOut, "description": "Database unavailable."},
    },
)


def _fields(result: BacktestResult) -> dict[str, Any]:
    data = dict(result)
    data.pop("equity_curve", None)
    data.pop("trades", None)
    return data


def _summary(result: BacktestResult) -> BacktestSummaryOut:
    return BacktestSummaryOut.model_validate(_fields(result))


@router.get(
    "",
    name="list",
    summary="Backtest runs, newest first (headline numbers only)",
    response_model=list[BacktestSummaryOut],
    responses=LIST_RESPONSES,
)
async def list_backtests(
    repos: ReposDep,
    response: Response,
    strategy: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=TEXT_PATTERN, description="Strategy name."),
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[BacktestSummaryOut]:
    page = await repos.backtests.list(strategy_name=strategy, limit=limit, offset=offset)
    return page_items(response, page, _summary)


@router.get(
    "/{backtest_id}",
    name="get",
    summary="One backtest run: metrics, params, equity curve and trades",
    response_model=BacktestOut,
)
async def get_backtest(
    repos: ReposDep, backtest_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> BacktestOut | Response:
    result = await repos.backtests.get(backtest_id)
    if result is None:
        return json_error(404, f"unknown backtest id {backtest_id}")
    return BacktestOut.model_validate(
        {
            **_fields(result),
            "equity_curve": [{"timestamp": t, "equity": v} for t, v in result.equity_curve],
            "trades": [dict(t) for t in result.trades],
        }
    )
