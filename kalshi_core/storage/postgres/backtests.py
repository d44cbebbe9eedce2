"""Backtest results (`backtest_results`) in PostgreSQL.

Money columns are NUMERIC (exact Decimal round trip); params, universe, the equity curve and the
trades are jsonb. JSON has no Decimal or datetime: params/universe go through pydantic's JSON
mode (a Decimal param comes back as its string), trades and the curve are re-validated on read.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Final

import asyncpg
from pydantic_core import to_jsonable_python

from kalshi_core.models import BacktestResult
from kalshi_core.storage.repositories import Page

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

# model field -> column ("start"/"end" are SQL keywords)
_FIELDS: Final = {
    "strategy_name": "strategy_name",
    "params": "params",
    "universe": "universe",
    "data_source": "data_source",
    "start": "start_at",
    "end": "end_at",
    "total_pnl": "total_pnl",
    "fees_paid": "fees_paid",
    "settlement_pnl": "settlement_pnl",
    "exit_pnl": "exit_pnl",
    "marked_pnl": "marked_pnl",
    "sharpe_ratio": "sharpe_ratio",
    "sharpe_frequency": "sharpe_frequency",
    "max_drawdown": "max_drawdown",
    "win_rate": "win_rate",
    "num_trades": "num_trades",
    "deflated_sharpe": "deflated_sharpe",
    "out_of_sample_sharpe": "out_of_sample_sharpe",
    "equity_curve": "equity_curve",
    "trades": "trades",
    "code_version": "code_version",
}
_SUMMARY: Final = tuple(f for f in _FIELDS if f not in ("equity_curve", "trades"))

_INSERT = f"""
INSERT INTO backtest_results ({", ".join(_FIELDS.values())})
VALUES ({", ".join(f"${i + 1}" for i in range(len(_FIELDS)))})
RETURNING id
"""
_FULL_SELECT = "SELECT id, created_at, " + ", ".join(_FIELDS.values()) + " FROM backtest_results"
_SUMMARY_SELECT = (
    "SELECT id, created_at, " + ", ".join(_FIELDS[f] for f in _SUMMARY) + " FROM backtest_results"
)


def _args(r: BacktestResult) -> tuple[Any, ...]:
    for name in ("start", "end"):
        if getattr(r, name).tzinfo is None:
            raise ValueError(f"backtest {name}: naive datetime rejected")
    values: dict[str, Any] = {f: getattr(r, f) for f in _FIELDS}
    values["params"] = to_jsonable_python(r.params)
    values["universe"] = to_jsonable_python(r.universe)
    values["equity_curve"] = [[t.isoformat(), float(v)] for t, v in r.equity_curve]
    values["trades"] = [t.model_dump(mode="json") for t in r.trades]
    return tuple(values[f] for f in _FIELDS)


def _result_from(row: asyncpg.Record, *, full: bool) -> BacktestResult:
    fields = _FIELDS if full else {f: _FIELDS[f] for f in _SUMMARY}
    data: dict[str, Any] = {f: row[col] for f, col in fields.items()}
    data["id"] = row["id"]
    data["created_at"] = row["created_at"]
    return BacktestResult.model_validate(data)


class PostgresBacktestRepository:
    """`BacktestRepository` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, result: BacktestResult) -> int:
        """Insert one result; returns its id (`result.id` and `created_at` are ignored)."""
        self._db.require_writable()
        args = _args(result)
        async with self._db.acquire() as conn:
            return int(await conn.fetchval(_INSERT, *args))

    async def get(self, result_id: int) -> BacktestResult | None:
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(f"{_FULL_SELECT} WHERE id = $1", result_id)
        return None if row is None else _result_from(row, full=True)

    async def list(
        self, strategy_name: str | None = None, limit: int = 100, offset: int = 0
    ) -> Page[BacktestResult]:
        """Newest first; items omit the equity curve and trades (summary rows)."""
        extra: builtins.list[Any] = [strategy_name] if strategy_name is not None else []
        where = "WHERE strategy_name = $3" if strategy_name is not None else ""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                f"{_SUMMARY_SELECT} {where} ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
                limit,
                offset,
                *extra,
            )
            count_where = "WHERE strategy_name = $1" if strategy_name is not None else ""
            total = await conn.fetchval(
                f"SELECT count(*) FROM backtest_results {count_where}", *extra
            )
        return Page(items=[_result_from(r, full=False) for r in rows], total=int(total))
