"""Fixtures of the history backfill tests: a frozen-clock simulator whose historical cutoff
falls inside the backfilled days, clients on it, and helpers that read what the simulator
serves (independently of the backfill's own routing) and what Postgres holds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from kalshi_core.history import HistoryUniverse
from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.models import Trade
from kalshi_core.storage.database import Database
from kalshi_sim.app import admin_state
from kalshi_sim.config import SimConfig
from kalshi_sim.testing import SimServer, serve

# Simulated "now" is ANCHOR + 12 h and the cutoff 6 h before it: the daily markets that closed
# at ANCHOR settled before the cutoff (historical), the next ones are live, so the two days
# below hold trades and candles of both endpoint families.
ANCHOR = datetime(2026, 11, 20, tzinfo=UTC)
FIRST_DAY = ANCHOR.date() - timedelta(days=1)
END_DAY = ANCHOR.date() + timedelta(days=1)  # exclusive
SERIES = ("KXHIGHNY",)
UNIVERSE = HistoryUniverse.of(series=SERIES)


def sim_config(*, legacy: bool = False) -> SimConfig:
    return SimConfig(
        seed=3,
        markets=300,
        mve_markets=0,
        # every market trades in the backfilled days (the tests compare per traded ticker)
        dynamics="busy",
        legacy_format=legacy,
        anchor=ANCHOR,
        start_time=ANCHOR + timedelta(hours=12),
        time_scale=0.0,
        rate_limit_per_s=0,
        historical_days=0.25,
    )


@pytest.fixture(scope="session")
def sim() -> Iterator[SimServer]:
    with serve(sim_config()) as server:
        yield server


def make_client(base_url: str, **kw: Any) -> KalshiClient:
    # The simulator computes every trade and candle in Python on one shared core: give slow
    # answers time rather than retrying them.
    kw.setdefault("timeout_s", 120.0)
    kw.setdefault("max_concurrency", 4)
    return KalshiClient(base_url, rate_limiter=None, **kw)


@pytest_asyncio.fixture(loop_scope="session")
async def client(sim: SimServer) -> AsyncIterator[KalshiClient]:
    async with make_client(sim.base_url) as c:
        yield c


def universe_tickers(server: SimServer, series: tuple[str, ...] = SERIES) -> list[str]:
    """Every market of the series, straight from the simulator's universe."""
    u = admin_state(server.app).u
    wanted = {u.series_index[s] for s in series}
    return sorted(u.m_ticker[m] for m in range(u.n_markets) if int(u.m_series[m]) in wanted)


def day_ts(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


async def served_trades(
    client: KalshiClient, tickers: list[str], first: date, end: date
) -> dict[str, Trade]:
    """Every trade the simulator serves for `tickers` in the days, asking BOTH endpoint
    families for every market over the whole range (no routing), by trade id."""
    lo, hi = day_ts(first), day_ts(end)
    out: dict[str, Trade] = {}
    for t in tickers:
        live = await client.get_trades(ticker=t, min_ts=lo - 1, max_ts=hi + 1)
        hist = await client.get_historical_trades(ticker=t, min_ts=lo - 1, max_ts=hi + 1)
        ids_live = {x.trade_id for x in live.items}
        assert not ids_live & {x.trade_id for x in hist.items}, "a trade served by both families"
        for x in [*live.items, *hist.items]:
            if lo <= x.created_time.timestamp() < hi and x.ticker == t:
                out[x.trade_id] = x
    return out


async def table_rows(db: Database, table: str) -> list[tuple[Any, ...]]:
    order = "trade_id" if table == "market_trades" else "ticker, period_minutes, end_time"
    async with db.acquire() as conn:
        rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY {order}")
    return [tuple(r.values()) for r in rows]


def set_faults(server: SimServer, **changes: Any) -> None:
    httpx.post(f"{server.root_url}/_sim/faults", json=changes, timeout=10).raise_for_status()
