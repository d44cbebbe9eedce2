"""Contract: trade-price candle files (the NBA layout: `ticker, timestamp, open, high, low, close,
volume`, prices in cents, `timestamp` the period's start) import into `market_candles`.

Protects: every row of the real-data excerpt is stored with its end (start + period), its
trade-price OHLC in dollars and its volume, and with the book and open interest unknown (NULL),
never made up; a second import changes nothing (no row rewritten); a trade-price import over a
stored candle with its book keeps that book; half a book, a start off the period's grid, or no
prices at all are refused with nothing written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from kalshi_core.imports import DumpImportError
from kalshi_core.storage.database import Database, Repositories
from tests.imports.conftest import REALDATA, read_csv, run_import, table_state, write_csv

NBA = REALDATA / "nba_candles_1m.csv.gz"
_BOOK = [f"yes_{s}_{p}" for s in ("bid", "ask") for p in ("open", "high", "low", "close")]

pytestmark = pytest.mark.usefixtures("clean_db")


async def _candles(db: Database) -> list[dict[str, object]]:
    async with db.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM market_candles ORDER BY ticker, end_time")
    return [dict(r) for r in rows]


async def test_the_nba_excerpt_imports_with_the_book_unknown(
    repos: Repositories, db: Database
) -> None:
    _, source = read_csv(NBA)
    report = await run_import(repos, NBA, period=1)
    assert report.tables["market_candles"].inserted == len(source)
    stored = {(c["ticker"], c["end_time"]): c for c in await _candles(db)}
    assert len(stored) == len(source)
    for row in source:
        start = datetime.fromtimestamp(int(row["timestamp"]), UTC)
        c = stored[(row["ticker"], start + timedelta(minutes=1))]
        assert c["period_minutes"] == 1
        for part in ("open", "high", "low", "close"):
            assert c[f"price_{part}"] == Decimal(row[part]) / 100
        assert c["volume"] == Decimal(row["volume"])
        assert all(c[name] is None for name in _BOOK)
        assert c["open_interest"] is None

    before = await table_state(db)
    again = await run_import(repos, NBA, period=1)
    assert again.tables["market_candles"].unchanged == len(source)
    assert await table_state(db) == before


async def test_a_stored_book_is_kept(repos: Repositories, db: Database, tmp_path: Path) -> None:
    end = datetime(2025, 7, 1, 12, 1, tzinfo=UTC)
    book = write_csv(
        tmp_path / "book.csv",
        ["ticker", "end_period_ts", *_BOOK, "volume", "open_interest"],
        [["KXA-1", int(end.timestamp()), *[40, 45, 39, 44, 46, 50, 45, 48], 10, 7]],
    )
    await run_import(repos, book, period=1)
    trades = write_csv(
        tmp_path / "trades.csv",
        ["ticker", "timestamp", "open", "high", "low", "close", "volume"],
        [["KXA-1", int((end - timedelta(minutes=1)).timestamp()), 45, 47, 44, 46, 12]],
    )
    report = await run_import(repos, trades, period=1)
    assert report.tables["market_candles"].updated == 1
    [c] = await _candles(db)
    assert c["end_time"] == end
    assert (c["yes_bid_open"], c["yes_ask_close"], c["open_interest"]) == (
        Decimal("0.40"),
        Decimal("0.48"),
        Decimal(7),
    )
    assert (c["price_open"], c["price_close"], c["volume"]) == (
        Decimal("0.45"),
        Decimal("0.46"),
        Decimal(12),
    )


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        (  # half a book
            ["ticker", "timestamp", "yes_bid_open", "open", "high", "low", "close", "volume"],
            ["KXA-1", 1751371200, 40, 45, 47, 44, 46, 12],
            "yes_ask_close[_dollars]",
        ),
        (  # no prices at all
            ["ticker", "timestamp", "volume"],
            ["KXA-1", 1751371200, 12],
            "or the trade-price OHLC",
        ),
        (  # no time
            ["ticker", "open", "high", "low", "close", "volume"],
            ["KXA-1", 45, 47, 44, 46, 12],
            "timestamp (unix seconds, the period's start)",
        ),
        (  # a start off the minute grid
            ["ticker", "timestamp", "open", "high", "low", "close", "volume"],
            ["KXA-1", 1751371230, 45, 47, 44, 46, 12],
            "is not the start of a 1-minute period",
        ),
    ],
)
async def test_refused_with_nothing_written(
    repos: Repositories,
    db: Database,
    tmp_path: Path,
    header: list[str],
    row: list[object],
    expected: str,
) -> None:
    path = write_csv(tmp_path / "c.csv", header, [row])
    with pytest.raises(DumpImportError) as info:
        await run_import(repos, path, period=1, kind="candles")
    assert expected in str(info.value)
    assert await _candles(db) == []
