"""Contract: each real data set, served by `kalshi_sim --recorded`, is loaded by the project's own
backfill assets (`market_trades`, `market_candles`) through the real client into PostgreSQL, and
what is stored equals the files: per market the trades (ids, times, prices, counts, sides), the
contracts, the result, status and settlement value (recorded, or inferred for nba, never taken
from the last price), and for recorded candles every row; both endpoint families contribute.

The files are read straight from CSV here (tests/sim/recorded_files.py), not through the
simulator's loader.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import dagster as dg
import psycopg2
import pytest

from kalshi_pipeline.defs.history.assets import market_candles, market_trades
from kalshi_pipeline.defs.resources import KalshiApiResource, WorkbenchDatabase
from kalshi_sim.config import SimConfig
from kalshi_sim.testing import SimServer, serve
from tests.sim.recorded_files import FIXTURES, Recording, read_recording, unix

pytestmark = pytest.mark.timeout(900)

# The UTC days each fixture's activity spans (first trade/candle .. last close).
DAYS = {
    "multi": (date(2025, 11, 8), date(2025, 11, 9)),
    "econ": (date(2023, 7, 1), date(2023, 8, 4)),
    "nba": (date(2025, 4, 20), date(2025, 4, 26)),
}


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, SimServer]]:
    def cfg(name: str) -> SimConfig:
        return SimConfig(recorded_dir=FIXTURES, recorded_datasets=(name,), rate_limit_per_s=0)

    with serve(cfg("multi")) as multi, serve(cfg("nba")) as nba, serve(cfg("econ")) as econ:
        yield {"multi": multi, "nba": nba, "econ": econ}


def _materialize(
    asset: dg.AssetsDefinition, sim: SimServer, database_url: str, dataset: str, **config: Any
) -> dict[str, Any]:
    rec = read_recording(dataset)
    first, last = DAYS[dataset]
    result = dg.materialize(
        [asset],
        run_config={
            "ops": {asset.key.path[-1]: {"config": {"series": sorted(rec.series), **config}}}
        },
        resources={
            "kalshi": KalshiApiResource(base_url=sim.base_url, rate_limit_per_s=0),
            "database": WorkbenchDatabase(database_url=database_url),
        },
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
    )
    assert result.success
    # one materialization per day partition of the run, all with the run's metadata
    mats = result.asset_materializations_for_node(asset.key.path[-1])
    assert len(mats) == (last - first).days + 1
    return {k: v.value for k, v in mats[0].metadata.items()}


def _query(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    # Sync on purpose: dg.materialize runs the asset's own event loop in this thread.
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


def _check_markets(database_url: str, rec: Recording) -> None:
    stored = {
        r[0]: r[1:]
        for r in _query(
            database_url, "SELECT ticker, status, result, settlement_value FROM markets"
        )
    }
    assert set(stored) == set(rec.markets)
    for ticker, f in rec.markets.items():
        status, result, value = stored[ticker]
        assert (result or "") == f.result, ticker
        assert value == f.settlement_value, ticker
        if f.status is not None:
            assert status == f.status, ticker


def _check_trades(database_url: str, rec: Recording) -> None:
    rows = _query(
        database_url,
        "SELECT trade_id, ticker, created_time, yes_price, count, taker_side FROM market_trades",
    )
    stored = {r[0]: r for r in rows}
    assert len(stored) == len(rows) == len(rec.trades)
    for f in rec.trades:
        _tid, ticker, created, price, count, side = stored[f.trade_id]
        assert (ticker, price, count, side) == (f.ticker, f.price, f.count, f.taker_side)
        assert created.timestamp() == unix(f.created_time)
    per_market = _query(
        database_url, "SELECT ticker, count(*), sum(count) FROM market_trades GROUP BY ticker"
    )
    files = rec.trades_by_market()
    assert {t: n for t, n, _c in per_market} == {t: len(v) for t, v in files.items()}
    assert {t: c for t, _n, c in per_market} == rec.contracts()


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("dataset", ["multi", "econ"])
def test_trade_tapes_load_through_the_backfill(
    sims: dict[str, SimServer], database_url: str, dataset: str
) -> None:
    rec = read_recording(dataset)
    meta = _materialize(market_trades, sims[dataset], database_url, dataset)
    assert meta["rows"] == len(rec.trades)
    assert meta["rows_live"] > 0
    assert meta["rows_historical"] > 0
    _check_trades(database_url, rec)
    _check_markets(database_url, rec)
    if dataset == "multi":
        quirk = _query(
            database_url,
            "SELECT m.result, t.yes_price FROM markets m JOIN market_trades t USING (ticker) "
            "WHERE ticker = 'KXETHD-25NOV0911-T3519.99' ORDER BY t.created_time DESC LIMIT 1",
        )
        assert quirk == [("no", Decimal("0.98"))]


@pytest.mark.usefixtures("clean_db")
def test_trade_candles_match_the_tape(sims: dict[str, SimServer], database_url: str) -> None:
    rec = read_recording("multi")
    meta = _materialize(market_candles, sims["multi"], database_url, "multi", periods=[1])
    minutes: Counter[str] = Counter()
    seen: set[tuple[str, int]] = set()
    for t in rec.trades:
        end = -(-int(unix(t.created_time) * 1_000_000) // 60_000_000) * 60
        if (t.ticker, end) not in seen:
            seen.add((t.ticker, end))
            minutes[t.ticker] += 1
    rows = _query(
        database_url,
        "SELECT ticker, count(*), sum(volume), count(yes_bid_close), count(open_interest) "
        "FROM market_candles WHERE period_minutes = 1 GROUP BY ticker",
    )
    assert meta["rows"] == sum(minutes.values())
    assert {t: n for t, n, *_ in rows} == dict(minutes)
    assert {t: v for t, _n, v, *_ in rows} == rec.contracts()
    assert {(b, oi) for *_x, b, oi in rows} == {(0, 0)}  # no quote, no open interest invented


@pytest.mark.usefixtures("clean_db")
def test_recorded_candles_load_through_the_backfill(
    sims: dict[str, SimServer], database_url: str
) -> None:
    rec = read_recording("nba")
    meta = _materialize(market_candles, sims["nba"], database_url, "nba", periods=[1, 60])
    assert meta["markets_live"] > 0
    assert meta["markets_historical"] > 0
    stored: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in _query(
        database_url,
        "SELECT ticker, end_time, price_open, price_high, price_low, price_close, volume, "
        "yes_bid_close, yes_ask_close, open_interest FROM market_candles "
        "WHERE period_minutes = 1 ORDER BY ticker, end_time",
    ):
        stored[r[0]].append(r[1:])
    assert set(stored) == set(rec.candles)
    for ticker, rows in rec.candles.items():
        got = stored[ticker]
        assert len(got) == len(rows), ticker
        for g, f in zip(got, rows, strict=True):
            assert int(g[0].timestamp()) == f.end
            assert g[1:6] == (f.open, f.high, f.low, f.close, f.volume)
            assert g[6:] == (None, None, None)
    hourly = _query(
        database_url,
        "SELECT ticker, sum(volume) FROM market_candles WHERE period_minutes = 60 GROUP BY ticker",
    )
    assert dict(hourly) == rec.contracts()
    _check_markets(database_url, rec)
