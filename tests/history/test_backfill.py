"""Contract: `HistoryBackfill` against the simulator and a real PostgreSQL.

- Over days that straddle the historical cutoff, the stored trades are exactly the trades the
  simulator serves for those markets (both endpoint families asked for every market), each once,
  and both families contributed.
- Candles exist for every period with trading, at 1, 60 and 1440 minutes; a 1-minute candle's
  volume equals the trades printed in its minute.
- Re-running a day changes nothing; a run that stops after some days (exception) or fails
  while fetching (server errors) leaves the other days exactly as they were, and the re-run
  completes with no duplicate.
- Legacy-format and current-format candles (and the historical shape) parse to the same values.
- A backtest runs end to end on the backfilled candles.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kalshi_core.backtest.engine import run_backtest
from kalshi_core.backtest.loading import load_quotes
from kalshi_core.history import DayResult, HistoryBackfill
from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.kalshi.errors import KalshiError
from kalshi_core.models import Trade
from kalshi_core.storage.database import Database, Repositories
from kalshi_sim.testing import SimServer, serve
from tests.history.conftest import (
    ANCHOR,
    END_DAY,
    FIRST_DAY,
    UNIVERSE,
    make_client,
    served_trades,
    set_faults,
    sim_config,
    table_rows,
    universe_tickers,
)

pytestmark = pytest.mark.timeout(900)


async def test_trades_straddling_cutoff_are_stored_exactly_once(
    sim: SimServer, client: KalshiClient, repos: Repositories, clean_db: Database
) -> None:
    report = await HistoryBackfill(client, repos.history, markets=repos.markets).trades(
        UNIVERSE, FIRST_DAY, END_DAY
    )
    expected = await served_trades(client, universe_tickers(sim), FIRST_DAY, END_DAY)
    rows = await table_rows(clean_db, "market_trades")
    stored = {r[0]: r for r in rows}
    assert len(rows) == len(stored) == report.rows == len(expected) > 1000
    assert set(stored) == set(expected)
    for tid, t in expected.items():
        r = stored[tid]
        assert (r[1], r[2], r[3], r[4]) == (t.ticker, t.created_time, t.yes_price, t.count)
    assert report.rows_live > 0
    assert report.rows_historical > 0
    assert report.markets_live > 0
    assert report.markets_historical > 0
    assert report.calls_live > 0
    assert report.calls_historical > 0
    assert report.requests >= report.calls_live + report.calls_historical
    assert [d.day for d in report.days] == [FIRST_DAY, FIRST_DAY + timedelta(days=1)]
    # market metadata (results for settled markets) is stored for the backtests
    for hm in report.days:
        assert hm.rows == hm.rows_live + hm.rows_historical


async def test_candles_cover_every_traded_period(
    client: KalshiClient, repos: Repositories, clean_db: Database
) -> None:
    runner = HistoryBackfill(client, repos.history, markets=repos.markets)
    trades_report = await runner.trades(UNIVERSE, FIRST_DAY, END_DAY)
    trades: list[Trade] = []
    tickers = sorted({m for m in await _tickers_with_trades(clean_db)})
    for t in tickers:
        trades += await repos.history.get_trades(t)
    assert len(trades) == trades_report.rows
    now = ANCHOR + timedelta(hours=12)
    range_end = datetime(END_DAY.year, END_DAY.month, END_DAY.day, tzinfo=UTC)
    for period in (1, 60, 1440):
        rep = await runner.candles(UNIVERSE, FIRST_DAY, END_DAY, period=period)
        assert rep.rows_live > 0, period
        assert rep.rows_historical > 0, period
        candles = {
            (c.ticker, c.end_time): c
            for t in tickers
            for c in await repos.history.get_candles(t, period)
        }
        assert len(candles) == rep.rows
        step = period * 60
        volume: dict[tuple[str, datetime], Decimal] = defaultdict(Decimal)
        # A trade stamped exactly on a period boundary (times are sent to the millisecond)
        # may sit in either neighbouring candle: those two candles are not compared exactly.
        ambiguous: set[tuple[str, datetime]] = set()
        for tr in trades:
            ts = tr.created_time.timestamp()
            end_ts = math.ceil(ts / step) * step
            end = datetime.fromtimestamp(end_ts, UTC)
            if ts == end_ts:
                ambiguous |= {(tr.ticker, end), (tr.ticker, end + timedelta(seconds=step))}
            if end > now or end >= range_end:
                continue  # that period's candle is not complete yet / belongs to a later day
            volume[(tr.ticker, end)] += tr.count
        compared = 0
        for key, vol in volume.items():
            c = candles.get(key)
            assert c is not None, f"no {period}m candle for {key} with {vol} traded"
            assert c.volume > 0
            assert c.price_close is not None
            if period == 1 and key not in ambiguous:
                assert c.volume == vol, key
                compared += 1
        assert period != 1 or compared > 0.9 * len(volume)


async def _tickers_with_trades(db: Database) -> list[str]:
    async with db.acquire() as conn:
        return [r[0] for r in await conn.fetch("SELECT DISTINCT ticker FROM market_trades")]


async def test_rerun_of_a_day_changes_nothing(
    client: KalshiClient, repos: Repositories, clean_db: Database
) -> None:
    runner = HistoryBackfill(client, repos.history, markets=repos.markets)
    await runner.trades(UNIVERSE, FIRST_DAY, END_DAY)
    await runner.candles(UNIVERSE, FIRST_DAY, END_DAY, period=60)
    trades, candles = (
        await table_rows(clean_db, "market_trades"),
        await table_rows(clean_db, "market_candles"),
    )
    again = await runner.trades(UNIVERSE, FIRST_DAY, FIRST_DAY + timedelta(days=1))
    again_c = await runner.candles(UNIVERSE, FIRST_DAY, FIRST_DAY + timedelta(days=1), period=60)
    assert again.rows > 0
    assert again_c.rows > 0
    assert await table_rows(clean_db, "market_trades") == trades
    assert await table_rows(clean_db, "market_candles") == candles


class _StopError(Exception):
    pass


async def test_stop_after_a_day_then_resume_completes_without_duplicates(
    client: KalshiClient, repos: Repositories, clean_db: Database
) -> None:
    first, end = FIRST_DAY, END_DAY
    await HistoryBackfill(client, repos.history).trades(UNIVERSE, first, end)
    reference = await table_rows(clean_db, "market_trades")
    async with clean_db.acquire() as conn:
        await conn.execute("TRUNCATE market_trades")

    def crash(result: DayResult) -> None:
        raise _StopError(result.day)

    with pytest.raises(_StopError):
        await HistoryBackfill(client, repos.history, on_day=crash).trades(UNIVERSE, first, end)
    partial = await table_rows(clean_db, "market_trades")
    days = {r[2].astimezone(UTC).date() for r in partial}
    assert days == {first}, "only the first day was committed"
    assert set(partial) < set(reference)

    await HistoryBackfill(client, repos.history).trades(UNIVERSE, first, end)
    assert await table_rows(clean_db, "market_trades") == reference


async def test_failed_fetch_leaves_the_day_as_it_was(
    sim: SimServer, repos: Repositories, clean_db: Database
) -> None:
    """Three days, fetched one at a time; the server starts failing once the first is written.
    A sentinel row on the last day shows it was never half-rewritten."""
    first = FIRST_DAY - timedelta(days=1)
    last = END_DAY - timedelta(days=1)
    ticker = universe_tickers(sim)[0]
    sentinel = Trade(
        trade_id="sentinel-not-from-kalshi",
        ticker=ticker,
        created_time=datetime(last.year, last.month, last.day, 1, tzinfo=UTC),
        yes_price=Decimal("0.5"),
        count=Decimal(1),
    )
    lo = datetime(last.year, last.month, last.day, tzinfo=UTC)
    await repos.history.replace_trades([ticker], lo, lo + timedelta(days=1), [sentinel])

    def fail_from_now_on(result: DayResult) -> None:
        set_faults(sim, error_rate=1.0)

    try:
        async with make_client(sim.base_url, max_retries=0) as failing:
            runner = HistoryBackfill(failing, repos.history, on_day=fail_from_now_on)
            with pytest.raises(KalshiError):
                await runner.trades(UNIVERSE, first, END_DAY, days_per_fetch=1)
    finally:
        set_faults(sim, error_rate=0.0)
    rows = await table_rows(clean_db, "market_trades")
    on_last = [r for r in rows if r[2].astimezone(UTC).date() == last]
    assert [r[0] for r in on_last] == ["sentinel-not-from-kalshi"]
    assert any(r[2].astimezone(UTC).date() == first for r in rows)

    async with make_client(sim.base_url) as ok:
        await HistoryBackfill(ok, repos.history).trades(UNIVERSE, first, END_DAY)
        expected = await served_trades(ok, universe_tickers(sim), first, END_DAY)
    rows = await table_rows(clean_db, "market_trades")
    assert sorted(r[0] for r in rows) == sorted(expected)


async def test_legacy_and_current_candles_parse_to_the_same_values(
    repos: Repositories, clean_db: Database
) -> None:
    values: dict[bool, dict[tuple[str, int, datetime], tuple[object, ...]]] = {}
    linear: set[str] = set()
    for legacy in (False, True):
        async with clean_db.acquire() as conn:
            await conn.execute("TRUNCATE market_candles")
        with serve(sim_config(legacy=legacy)) as server:
            async with make_client(server.base_url) as c:
                runner = HistoryBackfill(c, repos.history, markets=repos.markets)
                for period in (60, 1440):
                    rep = await runner.candles(UNIVERSE, FIRST_DAY, END_DAY, period=period)
                    assert rep.rows_live > 0
                    assert rep.rows_historical > 0
                last = await runner.candles(
                    UNIVERSE, FIRST_DAY, FIRST_DAY + timedelta(days=1), period=1
                )
                assert last.rows > 0
        rows = await table_rows(clean_db, "market_candles")
        values[legacy] = {(r[0], r[1], r[2]): r[3:] for r in rows}
        if not legacy:
            for ticker in {r[0] for r in rows}:
                m = await repos.markets.get_market(ticker)
                assert m is not None
                if m.price_level_structure == "linear_cent":
                    linear.add(ticker)
    assert linear, "the comparison needs markets quoted in whole cents in both formats"
    current = {k: v for k, v in values[False].items() if k[0] in linear}
    legacy_vals = {k: v for k, v in values[True].items() if k[0] in linear}
    assert current
    assert current == legacy_vals


async def test_backtest_runs_on_backfilled_candles(
    client: KalshiClient, repos: Repositories, clean_db: Database
) -> None:
    runner = HistoryBackfill(client, repos.history, markets=repos.markets)
    rep = await runner.candles(UNIVERSE, FIRST_DAY, END_DAY, period=1)
    assert rep.rows > 0
    async with clean_db.acquire() as conn:
        tickers = [r[0] for r in await conn.fetch("SELECT DISTINCT ticker FROM market_candles")]
    start = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC)
    quotes = await load_quotes(
        repos, sorted(tickers), start, ANCHOR + timedelta(hours=12), source="candles"
    )
    assert quotes.data_source == "candles"
    assert quotes.n_markets == len(tickers)
    result = run_backtest(quotes, "momentum")
    assert result.data_source == "candles"
    assert result.start == start
    assert len(result.equity_curve) > 0
