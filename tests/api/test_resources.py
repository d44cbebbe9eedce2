"""Contract: events, series and backtests endpoints over HTTP on real PostgreSQL.

Protects: list endpoints are JSON arrays with `X-Total-Count` and limit/offset paging; the series
filter of events; one event with its markets; one series with its fee multiplier as a number;
backtest summaries (newest first, strategy filter, no curve or trades) and one backtest in full
(metrics, params, equity curve, trades, Decimal money as exact JSON numbers); 404 JSON for unknown
tickers and ids, 422 for ids outside 1..2**63-1.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kalshi_core.models import BacktestResult, BacktestTrade
from kalshi_core.storage.database import Repositories
from tests.api.conftest import T0, seed_catalogue


async def test_events_list_filter_and_paging(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    await seed_catalogue(repos)
    r = await client.get("/api/v1/events")
    assert r.status_code == 200
    assert [e["event_ticker"] for e in r.json()] == ["KXA-E1", "KXA-E2", "KXB-E1"]
    assert r.headers["X-Total-Count"] == "3"
    assert r.json()[0]["series_ticker"] == "KXA"
    r = await client.get("/api/v1/events", params={"series": "KXA", "limit": 1, "offset": 1})
    assert [e["event_ticker"] for e in r.json()] == ["KXA-E2"]
    assert r.headers["X-Total-Count"] == "2"
    r = await client.get("/api/v1/events", params={"offset": 10})
    assert r.json() == []
    assert r.headers["X-Total-Count"] == "3"


async def test_event_with_its_markets(client: httpx.AsyncClient, repos: Repositories) -> None:
    await seed_catalogue(repos)
    r = await client.get("/api/v1/events/KXB-E1")
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "Event B1"
    assert [m["ticker"] for m in body["markets"]] == ["KXB-E1-M1", "KXB-E1-M2", "KXB-E1-M3"]
    assert body["markets"][0]["close_time"].startswith("2026-11-22T12:00:00")
    r = await client.get("/api/v1/events/KXB-E9")
    assert r.status_code == 404
    assert "KXB-E9" in r.json()["detail"]


async def test_series(client: httpx.AsyncClient, repos: Repositories) -> None:
    await seed_catalogue(repos)
    r = await client.get("/api/v1/series/KXA")
    assert r.status_code == 200
    assert r.json()["fee_multiplier"] == 0.5
    assert r.json()["title"] == "Series A"
    r = await client.get("/api/v1/series")
    assert [s["ticker"] for s in r.json()] == ["KXA", "KXB"]
    assert r.headers["X-Total-Count"] == "2"
    assert r.json()[1]["tags"] == ["weather"]
    assert (await client.get("/api/v1/series/KXZ")).status_code == 404


def _backtest(strategy: str, pnl: str, **kw: Any) -> BacktestResult:
    fields: dict[str, Any] = {
        "strategy_name": strategy,
        "params": {"threshold": 0.6, "window": 12},
        "universe": {"series": ["KXA"]},
        "start": T0,
        "end": T0 + timedelta(days=1),
        "total_pnl": Decimal(pnl),
        "fees_paid": Decimal("0.0700"),
        "settlement_pnl": Decimal("1.00"),
        "exit_pnl": Decimal("-0.25"),
        "sharpe_ratio": 1.25,
        "max_drawdown": Decimal("0.3300"),
        "win_rate": 0.5,
        "num_trades": 2,
        "equity_curve": [(T0, 0.0), (T0 + timedelta(hours=1), 0.68)],
        "trades": [
            BacktestTrade(
                market_ticker="KXA-E1-M1",
                entry_time=T0,
                entry_price=Decimal("0.5700"),
                exit_time=T0 + timedelta(hours=1),
                exit_price=Decimal("0.6100"),
                contracts=Decimal("10"),
                fees=Decimal("0.0200"),
                pnl=Decimal("0.3800"),
            )
        ],
    }
    fields.update(kw)
    return BacktestResult(**fields)


async def test_backtests_list_and_detail(client: httpx.AsyncClient, repos: Repositories) -> None:
    first = await repos.backtests.save(_backtest("momentum", "0.6800"))
    await repos.backtests.save(_backtest("mean_reversion", "-1.10"))
    third = await repos.backtests.save(_backtest("momentum", "2.5"))

    r = await client.get("/api/v1/backtests")
    assert r.status_code == 200
    rows = r.json()
    assert [b["id"] for b in rows] == [third, third - 1, first]  # newest first
    assert r.headers["X-Total-Count"] == "3"
    assert "equity_curve" not in rows[0]
    assert "trades" not in rows[0]
    r = await client.get("/api/v1/backtests", params={"strategy": "momentum", "limit": 1})
    assert [b["id"] for b in r.json()] == [third]
    assert r.headers["X-Total-Count"] == "2"

    r = await client.get(f"/api/v1/backtests/{first}")
    assert r.status_code == 200
    body = r.json()
    assert body["strategy_name"] == "momentum"
    assert body["total_pnl"] == 0.68
    assert body["fees_paid"] == 0.07
    assert body["max_drawdown"] == 0.33
    assert body["sharpe_ratio"] == 1.25
    assert body["params"] == {"threshold": 0.6, "window": 12}
    assert [p["equity"] for p in body["equity_curve"]] == [0.0, 0.68]
    assert body["equity_curve"][1]["timestamp"].startswith("2026-11-20T13:00:00")
    trade = body["trades"][0]
    assert trade["entry_price"] == 0.57
    assert trade["pnl"] == 0.38
    assert trade["market_ticker"] == "KXA-E1-M1"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/backtests/424242", 404),
        ("/api/v1/backtests/0", 422),
        ("/api/v1/backtests/-1", 422),
        ("/api/v1/backtests/9223372036854775808", 422),
        ("/api/v1/backtests/abc", 422),
        ("/api/v1/backtests/1%00", 422),
        ("/api/v1/backtests?limit=0", 422),
        ("/api/v1/backtests?strategy=", 422),
        ("/api/v1/events?limit=5000", 422),
        ("/api/v1/events?series=%00", 422),
        ("/api/v1/events/" + "E" * 201, 422),
        ("/api/v1/series/K%00", 422),
        ("/api/v1/series/' OR 1=1 --", 404),
        ("/api/v1/events/' OR 1=1 --", 404),
    ],
)
async def test_bad_ids_and_params(client: httpx.AsyncClient, path: str, status: int) -> None:
    r = await client.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["detail"]


async def test_empty_lists(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/events", "/api/v1/series", "/api/v1/backtests"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert r.json() == []
        assert r.headers["X-Total-Count"] == "0"
