"""Contract: the OpenAPI document a TypeScript client is generated from.

Protects: stable, clean operation ids (`markets-list`, ...); the documented response models of
the hot endpoints (rendered by SQL, so the schema is the only check on their shape); the
`X-Total-Count` header on list responses; and the `yes_price` definition in the descriptions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from kalshi_api.main import create_app

EXPECTED_OPERATIONS = {
    ("get", "/api/v1/markets"): "markets-list",
    ("get", "/api/v1/markets/{ticker}"): "markets-get",
    ("get", "/api/v1/markets/{ticker}/history"): "markets-history",
    ("get", "/api/v1/markets/{ticker}/candles"): "markets-candles",
    ("get", "/api/v1/events"): "events-list",
    ("get", "/api/v1/events/{ticker}"): "events-get",
    ("get", "/api/v1/series"): "series-list",
    ("get", "/api/v1/series/{ticker}"): "series-get",
    ("get", "/api/v1/backtests"): "backtests-list",
    ("get", "/api/v1/backtests/{backtest_id}"): "backtests-get",
    ("get", "/api/v1/calibration"): "calibration-list",
    ("get", "/api/v1/calibration/{calibration_id}"): "calibration-get",
    ("get", "/api/v1/ingestion/status"): "ingestion-status",
    ("get", "/health"): "health-check",
}


async def test_operation_ids_and_docs(client: httpx.AsyncClient) -> None:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    spec: dict[str, Any] = r.json()
    ops = {
        (method, path): op["operationId"]
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    assert ops == EXPECTED_OPERATIONS
    markets = spec["paths"]["/api/v1/markets"]["get"]
    ok = markets["responses"]["200"]
    assert "X-Total-Count" in ok["headers"]
    assert ok["content"]["application/json"]["schema"]["items"]["$ref"].endswith("/MarketOut")
    assert "YES mid" in markets["description"]
    item = spec["components"]["schemas"]["MarketOut"]
    assert item["properties"]["yes_price"]["type"] == "number"
    assert "YES mid" in item["properties"]["yes_price"]["description"]
    history = spec["paths"]["/api/v1/markets/{ticker}/history"]["get"]["responses"]["200"]
    assert history["content"]["application/json"]["schema"]["items"]["$ref"].endswith(
        "/HistoryPointOut"
    )
    assert (await client.get("/docs")).status_code == 200


def test_the_spas_generated_client_matches_the_api() -> None:
    """The committed schema the SPA's client is generated from is the app's current one
    (regenerate with scripts/gen-api-client.sh)."""
    committed = Path(__file__).resolve().parents[2] / "frontend/src/api/generated/openapi.json"
    assert json.loads(committed.read_text()) == create_app().openapi(), (
        "frontend/src/api/generated is stale: run scripts/gen-api-client.sh"
    )
