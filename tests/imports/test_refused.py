"""Contract: a bad input is refused whole and writes nothing, and the error says where: the file,
the line (CSV, counting physical lines with the header as line 1; quoted line breaks included)
or the row (Parquet), and the column. Covered: a missing column, an unparsable price, prices out
of range (cents and dollars), YES + NO not adding up to $1 (the int(float * 100) corruption),
a wrong number of values, naive timestamps, rows giving one trade or market different values, a file
that cannot be read, trade-price candles without bid/ask, and files of no known kind. A bad row
in a later file leaves the rows of earlier files (already staged) unwritten, and the tables
exactly as they were (same rows, same row versions)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kalshi_core.imports import DumpImportError
from kalshi_core.imports.problems import MAX_LISTED
from kalshi_core.storage.database import Database, Repositories
from tests.imports.conftest import REALDATA, read_csv, run_import, table_state, write_csv

pytestmark = pytest.mark.usefixtures("clean_db")

TRADES = REALDATA / "multi_trades.csv.gz"


@pytest.fixture
async def seeded(repos: Repositories, db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Data already stored before the refused import; it must stay exactly as it is."""
    await run_import(repos, REALDATA / "multi_closed_markets.csv", REALDATA / "econ_trades.csv.gz")
    return await table_state(db)


def _tape(tmp_path: Path, edit: dict[int, dict[str, str]], name: str = "tape.csv") -> Path:
    """multi_trades with the data rows at the given 0-based indexes edited."""
    header, rows = read_csv(TRADES)
    body = []
    for i, r in enumerate(rows):
        body.append([edit.get(i, {}).get(c, r[c]) for c in header])
    return write_csv(tmp_path / name, header, body)


async def _refused(repos: Repositories, *paths: Path, **kwargs: Any) -> DumpImportError:
    with pytest.raises(DumpImportError) as info:
        await run_import(repos, *paths, **kwargs)
    return info.value


async def test_missing_column(
    repos: Repositories, db: Database, seeded: dict[str, Any], tmp_path: Path
) -> None:
    header, rows = read_csv(TRADES)
    cols = [c for c in header if c != "created_time"]
    path = write_csv(tmp_path / "no_time.csv", cols, [[r[c] for c in cols] for r in rows])
    err = await _refused(repos, path)
    [p] = err.problems
    assert (p.path, p.line) == (str(path), None)
    assert "missing columns of a trades file: created_time" in p.message
    assert await table_state(db) == seeded


async def test_unparsable_and_out_of_range_prices(
    repos: Repositories, db: Database, seeded: dict[str, Any], tmp_path: Path
) -> None:
    path = _tape(tmp_path, {4: {"price": "abc"}, 100: {"price": "1.5"}, 200: {"count": "-3"}})
    err = await _refused(repos, path)
    assert err.total == 3
    assert [str(p) for p in err.problems] == [
        f"{path}:6: column 'price': 'abc' is not a number",
        f"{path}:102: column 'price': price '1.5' is outside [0, 1] dollars",
        f"{path}:202: column 'count': count '-3' is negative",
    ]
    assert await table_state(db) == seeded


async def test_cents_out_of_range_and_sides_not_adding_up(
    repos: Repositories, db: Database, seeded: dict[str, Any], tmp_path: Path
) -> None:
    header, rows = read_csv(REALDATA / "econ_trades.csv.gz")
    rows[9]["yes_price"] = "150"
    rows[19].update(yes_price="28", no_price="71")  # 0.29 truncated by int(float(x) * 100)
    rows[29]["yes_price"] = "0.61"  # a dollar value in a cents column
    body = [[r[c] for c in header] for r in rows]
    path = write_csv(tmp_path / "econ.csv.gz", header, body)
    err = await _refused(repos, path)
    assert [(p.line, p.column) for p in err.problems] == [
        (11, "yes_price"),
        (21, "no_price"),
        (31, "yes_price"),
    ]
    assert "price '150' cents is outside [0, 100]" in err.problems[0].message
    assert "0.28 + NO 0.71 = 0.99 dollars, not 1" in err.problems[1].message
    assert "int(float(x) * 100)" in err.problems[1].message
    assert "not whole cents" in err.problems[2].message
    assert await table_state(db) == seeded


async def test_bad_row_in_a_later_file_writes_nothing_of_the_earlier_ones(
    repos: Repositories, db: Database, seeded: dict[str, Any], tmp_path: Path
) -> None:
    good = REALDATA / "multi_enriched_markets.csv"
    bad = _tape(tmp_path, {250: {"created_time": "2025-11-09 05:54:39"}})
    # small batches: the first file and most of the second are staged before the bad row
    err = await _refused(repos, good, TRADES, bad, batch_rows=16)
    [p] = err.problems
    assert (p.path, p.line, p.column) == (str(bad), 252, "created_time")
    assert "has no time zone" in p.message
    assert await table_state(db) == seeded


async def test_counts_every_problem_and_lists_the_first(
    repos: Repositories, tmp_path: Path
) -> None:
    path = _tape(tmp_path, {i: {"taker_side": "buy"} for i in range(0, 250, 5)})
    err = await _refused(repos, path, batch_rows=7)
    assert err.total == 50
    assert len(err.problems) == MAX_LISTED
    assert [p.line for p in err.problems] == list(range(2, 2 + 5 * MAX_LISTED, 5))
    assert "... and 30 more" in str(err)


async def test_line_numbers_count_quoted_line_breaks_and_wrong_widths(
    repos: Repositories, tmp_path: Path
) -> None:
    path = tmp_path / "markets.csv"
    path.write_text(
        "ticker,event_ticker,status,title\n"
        'KXA-1,KXA,Active,"two\nlines"\n'
        "KXA-2,KXA,active\n"
        "KXA-3,KXA,Active,ok\n",
        encoding="utf-8",
    )
    err = await _refused(repos, path)
    assert [(p.line, p.column) for p in err.problems] == [(2, "status"), (4, None), (5, "status")]
    assert "'Active' is not a market status" in err.problems[0].message
    assert "3 values, the header has 4 columns" in err.problems[1].message


async def test_conflicting_duplicates_name_both_places(
    repos: Repositories, db: Database, seeded: dict[str, Any], tmp_path: Path
) -> None:
    header, rows = read_csv(TRADES)
    changed = dict(rows[7], price="0.42" if rows[7]["price"] != "0.42" else "0.43")
    other = write_csv(tmp_path / "other.csv", header, [[changed[c] for c in header]])
    err = await _refused(repos, TRADES, other)
    [p] = err.problems
    assert (p.path, p.line) == (str(TRADES), 9)
    assert f"market_trades key {rows[7]['trade_id']!r} is given different values" in p.message
    assert p.message.endswith(f"at {other}:2")
    assert await table_state(db) == seeded


async def test_parquet_rows_and_naive_times(
    repos: Repositories, db: Database, seeded: dict[str, Any], tmp_path: Path
) -> None:
    frame = pd.DataFrame(
        {
            "trade_id": [f"t{i}" for i in range(10)],
            "ticker": ["KXA-1"] * 10,
            "count": [5] * 10,
            "yes_price": [40] * 4 + [101] + [40] * 5,
            "no_price": [60] * 4 + [-1] + [60] * 5,
            "taker_side": ["yes"] * 10,
            "created_time": pd.date_range("2025-01-01", periods=10, freq="s", tz="UTC"),
        }
    )
    bad_price = tmp_path / "trades_0_10.parquet"
    frame.to_parquet(bad_price)
    naive = tmp_path / "naive.parquet"
    frame.assign(created_time=frame.created_time.dt.tz_localize(None)).to_parquet(naive)
    err = await _refused(repos, bad_price)
    assert [str(p) for p in err.problems] == [
        f"{bad_price}:row 5: column 'yes_price': price 101 cents is outside [0, 100]",
        f"{bad_price}:row 5: column 'no_price': price -1 cents is outside [0, 100]",
    ]
    err = await _refused(repos, naive)
    [p] = err.problems
    assert (p.line, p.column) == (None, "created_time")
    assert "without a time zone" in p.message
    # nanoseconds would be lost (a Python datetime holds microseconds): refused, not rounded
    nanos = tmp_path / "nanos.parquet"
    times = frame.created_time.astype("datetime64[ns, UTC]") + pd.Timedelta(nanoseconds=1)
    frame.assign(yes_price=40, no_price=60, created_time=times).to_parquet(nanos)
    err = await _refused(repos, nanos)
    [p] = err.problems
    assert (p.path, p.line, p.unit) == (str(nanos), 1, "row")
    assert "would lose data" in p.message
    assert await table_state(db) == seeded


async def test_unreadable_files(repos: Repositories, db: Database, tmp_path: Path) -> None:
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes(gzip.compress(TRADES.read_bytes())[:-200])  # gzip of a gzip, cut
    not_parquet = tmp_path / "fake.parquet"
    not_parquet.write_text("ticker\nKXA\n")
    err = await _refused(repos, truncated, not_parquet, tmp_path / "missing.csv")
    messages = [str(p) for p in err.problems]
    assert messages[0] == f"{tmp_path / 'missing.csv'}: no such file or folder"
    assert messages[1].startswith(f"{truncated}:1: unreadable header")
    assert messages[2].startswith(f"{not_parquet}: not a readable Parquet file")


async def test_files_of_no_known_layout(repos: Repositories) -> None:
    err = await _refused(
        repos,
        REALDATA / "nba_candles_1m.csv.gz",
        REALDATA / "multi_events.csv",
        REALDATA / "nba_results_inferred.csv",
    )
    candles, events, results = err.problems
    # a trade-price candle file is read (test_trade_price_candles.py), given its period
    assert candles.message == (
        "missing columns of a candles file: period_interval (minutes), or the import's period "
        "option (--period 1|60|1440)"
    )
    assert "cannot tell whether this holds markets, trades or candles" in events.message
    assert "(--kind)" in results.message
    err = await _refused(repos, REALDATA / "nba_results_inferred.csv", kind="markets")
    [p] = err.problems
    assert "missing columns of a markets file: event_ticker; status" in p.message


async def test_candle_period_is_required(repos: Repositories, tmp_path: Path) -> None:
    cols = ["ticker", "end_period_ts"]
    cols += [f"yes_{s}_{p}" for s in ("bid", "ask") for p in ("open", "high", "low", "close")]
    cols += ["volume", "open_interest"]
    end = int(datetime(2025, 7, 1, tzinfo=UTC).timestamp())
    path = write_csv(tmp_path / "c.csv", cols, [["KXA-1", end, *[50] * 8, 10, 5]])
    err = await _refused(repos, path)
    assert "period_interval (minutes), or the import's period option" in err.problems[0].message
    report = await run_import(repos, path, period=60)
    assert report.tables["market_candles"].inserted == 1
    [candle] = await repos.history.get_candles("KXA-1", 60)
    assert candle.end_time == datetime(2025, 7, 1, tzinfo=UTC)


async def test_market_rows_that_disagree_without_a_time_to_order_them(
    repos: Repositories, db: Database, seeded: dict[str, Any], tmp_path: Path
) -> None:
    cols = ["ticker", "event_ticker", "status", "result"]
    a = write_csv(tmp_path / "a.csv", cols, [["KXA-1", "KXA", "active", ""]])
    b = write_csv(
        tmp_path / "b.csv",
        cols,
        [["KXB-1", "KXB", "active", ""], ["KXA-1", "KXA", "finalized", "yes"]],
    )
    err = await _refused(repos, a, b)
    [p] = err.problems
    assert (p.path, p.line) == (str(a), 2)
    assert p.message == f"markets key 'KXA-1' is given different values here and at {b}:3"
    assert await table_state(db) == seeded
