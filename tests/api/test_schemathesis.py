"""Contract: the API honours its own OpenAPI document under property-based fuzzing.

schemathesis generates valid and invalid requests for every operation from `/openapi.json` and
runs its checks on each response: never a 5xx, status codes, content types, headers and bodies
as documented (the market and history bodies are rendered by SQL, so this is what holds them to
the documented schema), invalid input rejected. A small data set is seeded first (including the
ticker the schema uses as its example) so the routes answer with data, not only 404s.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, settings

from kalshi_api.main import create_app
from kalshi_api.params import EXAMPLE_TICKER
from kalshi_core.analysis.calibration import CalibrationParams, calibrate
from kalshi_core.models import BacktestResult, IngestPoll
from kalshi_core.storage.database import Repositories
from tests.api.conftest import T0, api_settings, market, seed_catalogue, snapshot
from tests.calibration_fixture import calibration_rows


@pytest_asyncio.fixture(loop_scope="session")
async def seeded(clean_db: Any, repos: Repositories) -> None:
    await seed_catalogue(repos)
    await repos.markets.upsert_markets([market(EXAMPLE_TICKER)])
    await repos.markets.save_many(
        [snapshot(EXAMPLE_TICKER, i * 60, f"0.{20 + i}", "0.6000", "0.4") for i in range(5)]
    )
    await repos.backtests.save(
        BacktestResult(
            strategy_name="momentum",
            start=T0,
            end=T0 + timedelta(days=1),
            total_pnl=Decimal("1.25"),
            fees_paid=Decimal("0.07"),
            settlement_pnl=Decimal("1"),
            exit_pnl=Decimal("0.32"),
            max_drawdown=Decimal("0.5"),
            num_trades=0,
            sharpe_ratio=float("nan"),
            equity_curve=[(T0, 0.0)],
        )
    )
    await repos.polls.record(IngestPoll(tier="watchlist", tick=T0, status="error", error="x"))
    await repos.calibration.save(calibrate(calibration_rows(), CalibrationParams()))


# Built at import (schemathesis parametrizes at collection); pointed at the session's database by
# the `api_app` fixture before its lifespan starts on the first request.
app = create_app(api_settings("postgresql://postgres@127.0.0.1:1/not_started"))
schema = schemathesis.openapi.from_dict(app.openapi())
schema.app = app


@pytest.fixture
def api_app(database_url: str, seeded: None) -> Any:
    # production settings: the response cache on (seeded once, fuzzed read-only after)
    app.state.settings = api_settings(database_url, api_response_cache_mb=32)
    return app


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_conforms_to_its_schema(case: Any, api_app: Any) -> None:
    excluded = []
    if case.operation.path.endswith(("/history", "/candles")):
        # `start < end` (and, for candles, `end - start <= limit` periods) relates parameters,
        # which OpenAPI cannot express: a schema-valid start == end is rightly a 422 (documented
        # in the description), not an acceptance bug.
        excluded.append(schemathesis.checks.positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)
