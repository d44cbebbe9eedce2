"""Contract: an imported market's close is known to signals as the dump allows, never earlier
(real PostgreSQL; rule: `kalshi_core.closes`).

A market the dump says cannot close early (`can_close_early` false) has its close known from
its `open_time` (or `created_time` without one); one that may close early, or whose dump does
not say (no column, an empty cell), only at its close. A second import adds nothing, and a
refused import adds nothing either. `favourite` on a small imported tape then sees the close at
each bar of the scheduled market and trades it where its rule says, and cannot trade the
early-closable one with the very same tape.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from kalshi_core.backtest.engine import backtest_signals
from kalshi_core.backtest.kernels import NO_INDEX
from kalshi_core.backtest.loading import load_quotes
from kalshi_core.backtest.strategies import compute_signals
from kalshi_core.imports import DumpImportError
from kalshi_core.storage.database import Database, Repositories
from tests.imports.conftest import rfc3339, run_import, write_csv

pytestmark = pytest.mark.usefixtures("clean_db")

OPEN = datetime(2025, 11, 8, 16, 0, tzinfo=UTC)
CLOSE = OPEN + timedelta(hours=3)  # 19:00
CREATED = OPEN - timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SCHEDULED = "KXBTCD-25NOV0814-T100"
EARLY = "KXATPMATCH-25NOV08ABC-ABC"
EMPTY_CELL = "KXBTCD-25NOV0814-T200"
CREATED_ONLY = "KXBTCD-25NOV0814-T300"
MARKET_HEADER = [
    "ticker",
    "event_ticker",
    "series_ticker",
    "status",
    "created_time",
    "open_time",
    "close_time",
    "can_close_early",
    "result",
]
# (seconds after the open, YES price, count, taker side): the same tape in both markets
TAPE = [
    (110 * 60 + 10, "0.70", 5, "yes"),  # 17:50:10, 70 minutes before the close
    (130 * 60 + 20, "0.88", 10, "no"),  # 18:10:20: the last print at bar 18:11, in the band
    (133 * 60 + 30, "0.90", 4, "yes"),  # 18:13:30: the next YES-taker print, bar 18:14
]


def markets_file(tmp_path: Path) -> Path:
    def row(ticker: str, open_time: str, can_close_early: str) -> list[str]:
        series = ticker.split("-", 1)[0]
        return [
            ticker,
            ticker.rsplit("-", 1)[0],
            series,
            "finalized",
            rfc3339(CREATED),
            open_time,
            rfc3339(CLOSE),
            can_close_early,
            "yes",
        ]

    return write_csv(
        tmp_path / "markets.csv",
        MARKET_HEADER,
        [
            row(SCHEDULED, rfc3339(OPEN), "false"),
            row(EARLY, rfc3339(OPEN), "true"),
            row(EMPTY_CELL, rfc3339(OPEN), ""),
            row(CREATED_ONLY, "", "false"),
        ],
    )


def trades_file(tmp_path: Path) -> Path:
    rows = [
        [
            f"{ticker}-{i}",
            ticker,
            rfc3339(OPEN + timedelta(seconds=s)),
            str(count),
            price,
            side,
        ]
        for ticker in (SCHEDULED, EARLY)
        for i, (s, price, count, side) in enumerate(TAPE)
    ]
    header = ["trade_id", "ticker", "created_time", "count", "price", "taker_side"]
    return write_csv(tmp_path / "trades.csv", header, rows)


async def close_rows(db: Database) -> list[tuple[str, str, datetime, datetime | None]]:
    """Every close-history row with its row version (a rewritten row gets a new xmin)."""
    async with db.acquire() as conn:
        rows = await conn.fetch(
            "SELECT m.ticker, h.xmin::text AS v, h.known_from, h.close_time "
            "FROM market_close_times h JOIN markets m ON m.id = h.market_id "
            "ORDER BY m.ticker, h.known_from"
        )
    return [(r["ticker"], r["v"], r["known_from"], r["close_time"]) for r in rows]


async def test_a_scheduled_close_is_known_from_the_open_any_other_at_the_close(
    repos: Repositories, db: Database, tmp_path: Path
) -> None:
    markets, trades = markets_file(tmp_path), trades_file(tmp_path)
    bad = write_csv(
        tmp_path / "bad.csv",
        ["trade_id", "ticker", "created_time", "count", "price"],
        [["x", SCHEDULED, rfc3339(OPEN), "1", "1.50"]],
    )
    with pytest.raises(DumpImportError):
        await run_import(repos, markets, trades, bad)
    assert await close_rows(db) == []  # refused: nothing written, no close either

    before = datetime.now(UTC)
    report = await run_import(repos, markets, trades)
    assert (report.closes_known_from_open, report.closes_known_at_close) == (2, 2)
    assert report.metadata()["closes_known_from_open"] == 2
    assert "2 known from the market's open" in report.summary()
    history = await repos.markets.close_time_history([SCHEDULED, EARLY, EMPTY_CELL, CREATED_ONLY])
    # the dumps hold no updated_time: the trigger stamps the import's time after these
    for ticker, known_from in (
        (SCHEDULED, OPEN),
        (CREATED_ONLY, CREATED),
        (EARLY, CLOSE),
        (EMPTY_CELL, CLOSE),
    ):
        (first, close), (stamped, final) = history[ticker]
        assert (first, close, final) == (known_from, CLOSE, CLOSE), ticker
        assert stamped >= before - timedelta(seconds=1)
    # the empty cell is stored as Kalshi's default, but it does not say the close was scheduled
    stored = await repos.markets.get_market(EMPTY_CELL)
    assert stored is not None
    assert stored.can_close_early is False

    state = await close_rows(db)
    again = await run_import(repos, markets, trades)
    assert (again.closes_known_from_open, again.closes_known_at_close) == (0, 0)
    assert await close_rows(db) == state


async def test_a_dump_without_the_column_does_not_say(repos: Repositories, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        ["ticker", "event_ticker", "status", "open_time", "close_time", "result"],
        [[SCHEDULED, "KXBTCD-25NOV0814", "finalized", rfc3339(OPEN), rfc3339(CLOSE), "no"]],
    )
    report = await run_import(repos, path)
    assert (report.closes_known_from_open, report.closes_known_at_close) == (0, 1)
    history = await repos.markets.close_time_history([SCHEDULED])
    assert history[SCHEDULED][0] == (CLOSE, CLOSE)


async def test_favourite_sees_the_scheduled_close_at_each_bar_and_trades_it(
    repos: Repositories, tmp_path: Path
) -> None:
    await run_import(repos, markets_file(tmp_path), trades_file(tmp_path))
    start, end = OPEN + 100 * MINUTE, CLOSE + 10 * MINUTE
    q = await load_quotes(
        repos,
        [SCHEDULED, EARLY],
        start,
        end,
        source="trades",
        freq="1min",
        staleness="30min",
        max_wait_bars=5,
    )
    close_ns = int(CLOSE.timestamp() * 1e9)
    before_close = q.grid_ns() < close_ns
    # every bar (all after the open) knows the scheduled close; the other one's only from it on
    assert (q.close_known_ns[:, 0] == close_ns).all()
    assert (q.close_known_ns[before_close, 1] == NO_INDEX).all()
    assert (q.close_known_ns[~before_close, 1] == close_ns).all()

    params = {"lo": "0.85", "hi": "0.95", "hours_to_close": 1}
    _, signals = compute_signals(q, "favourite", params)
    bars = [q.index[int(i)].to_pydatetime() for i in np.flatnonzero(signals.entries[:, 0])]
    # the last print (0.88 at 18:10:20, then 0.90 at 18:13:30) is in the band and fresh (30
    # minutes) from bar 18:11 to bar 18:43, all within the hour before the close
    assert bars == [OPEN + (131 + i) * MINUTE for i in range(33)]
    assert not signals.entries[:, 1].any()  # the same tape, but its close was not known

    result = backtest_signals(q, signals, sharpe_freq="1h")
    (trade,) = result.trades
    assert trade.market_ticker == SCHEDULED
    # the order from bar 18:11 meets the YES-taker print of bar 18:14: 4 of 10 at 0.90
    assert (trade.entry_time, trade.entry_price, trade.contracts) == (
        OPEN + 134 * MINUTE,
        Decimal("0.90"),
        Decimal(4),
    )
    # held to the close, settled yes: 4 x (1 - 0.90) less the fee ceil(0.07 x 4 x 0.9 x 0.1)
    assert trade.fees == Decimal("0.03")
    assert trade.pnl == Decimal("0.37")
