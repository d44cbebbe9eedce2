"""Contract: `BacktestRepository` on real PostgreSQL: a result round-trips exactly (NUMERIC money
as Decimal, params/universe/equity curve/trades as JSON), lists are newest first with summary
rows (no curve, no trades) and exact totals, filtering by strategy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kalshi_core.models import BacktestResult, BacktestTrade
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.repositories import BacktestRepository

pytestmark = pytest.mark.usefixtures("clean_db")

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _result(name: str = "mean_reversion", **kw: object) -> BacktestResult:
    fields: dict[str, object] = {
        "strategy_name": name,
        "params": {"lookback": 12, "threshold": 0.05, "nested": {"a": [1, 2]}},
        "universe": {"series": ["KXFED"], "min_volume": 1000},
        "data_source": "snapshots",
        "start": T0,
        "end": T0 + timedelta(days=7),
        "total_pnl": Decimal("123.456789"),
        "marked_pnl": Decimal("-0.2500"),
        "fees_paid": Decimal("4.21"),
        "settlement_pnl": Decimal("100.000001"),
        "exit_pnl": Decimal("27.677"),
        "sharpe_ratio": 1.2345,
        "sharpe_frequency": "1h",
        "max_drawdown": Decimal("-12.50"),
        "win_rate": 0.55,
        "num_trades": 2,
        "deflated_sharpe": 0.9,
        "out_of_sample_sharpe": None,
        "equity_curve": [(T0, 0.0), (T0 + timedelta(hours=1), 1.5)],
        "trades": [
            BacktestTrade(
                market_ticker="KXFED-26DEC-T4.00",
                side="yes",
                entry_time=T0,
                entry_price=Decimal("0.4500"),
                exit_time=T0 + timedelta(hours=1),
                exit_price=Decimal("0.5600"),
                contracts=Decimal("10"),
                fees=Decimal("0.18"),
                pnl=Decimal("0.92"),
            ),
            BacktestTrade(
                market_ticker="KXFED-26DEC-T4.25",
                side="no",
                entry_time=T0,
                entry_price=Decimal("0.123456"),
                contracts=Decimal("2.5"),
                fees=Decimal("0.01"),
                pnl=Decimal("-0.30"),
                exit_reason="settlement",
            ),
        ],
        "code_version": "abc123",
    }
    fields.update(kw)
    return BacktestResult.model_validate(fields)


def test_satisfies_protocol(repos: Repositories) -> None:
    assert isinstance(repos.backtests, BacktestRepository)


async def test_round_trip(repos: Repositories) -> None:
    original = _result()
    rid = await repos.backtests.save(original)
    got = await repos.backtests.get(rid)
    assert got is not None
    assert got.id == rid
    assert got.created_at is not None
    assert got.model_dump(exclude={"id", "created_at"}) == original.model_dump(
        exclude={"id", "created_at"}
    )
    assert str(got.total_pnl) == "123.456789"
    assert got.marked_pnl == Decimal("-0.25")
    assert got.trades[1].entry_price == Decimal("0.123456")
    assert await repos.backtests.get(rid + 1000) is None


async def test_list_newest_first_summary_rows(repos: Repositories) -> None:
    ids = [await repos.backtests.save(_result(name)) for name in ("a", "b", "a")]
    page = await repos.backtests.list()
    assert [r.id for r in page.items] == ids[::-1]
    assert page.total == 3
    assert all(r.trades == [] and r.equity_curve == [] for r in page.items)
    only_a = await repos.backtests.list(strategy_name="a", limit=1)
    assert [r.id for r in only_a.items] == [ids[2]]
    assert only_a.total == 2
    assert (await repos.backtests.list(strategy_name="zzz")).total == 0
