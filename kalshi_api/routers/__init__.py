"""The API's routers: one per resource, all under one `/api/v1` router (`api_router`); the
health probe stays at the root (`/health`). `kalshi_api.main` includes `api_router` and
`health.router`."""

from fastapi import APIRouter

from kalshi_api.routers import backtests, calibration, events, ingestion, markets, series

api_router = APIRouter(prefix="/api/v1")
for _module in (markets, events, series, backtests, calibration, ingestion):
    api_router.include_router(_module.router)
