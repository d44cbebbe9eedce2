"""Contract: a dump imported into real PostgreSQL and exported back into its own layout equals
the input, cell for cell: CSV in cents (the economics tapes: yes/no prices in cents), CSV in
dollars (the multi-series tape: `price` in dollars), markets with results and cent settlement
values, Kalshi's candlestick payload flattened (cents and `*_dollars`), and the public dataset's
Parquet folders (`kalshi/markets/*.parquet`, `kalshi/trades/*.parquet`). Columns that have no
place in the tables are not dropped silently: the report lists them per file."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from kalshi_core.storage.database import Database, Repositories
from tests.imports.conftest import (
    CANDLE_TICKER,
    REALDATA,
    cents,
    export_candles,
    export_markets,
    export_trades,
    read_csv,
    rfc3339,
    run_import,
    write_candles_csv,
    write_public_layout,
)

pytestmark = pytest.mark.usefixtures("clean_db")


def _sorted(rows: list[dict[str, str]], columns: list[str]) -> list[dict[str, str]]:
    return sorted(({c: r[c] for c in columns} for r in rows), key=lambda r: r["trade_id"])


async def test_csv_cents_trades(repos: Repositories, db: Database) -> None:
    path = REALDATA / "econ_trades.csv.gz"
    header, rows = read_csv(path)
    report = await run_import(repos, path, batch_rows=64)  # several batches
    assert report.tables["market_trades"].inserted == len(rows) == 300
    [file] = report.files
    assert (file.kind, file.rows, file.ignored_columns) == ("trades", 300, ["dataset"])
    stored = [c for c in header if c != "dataset"]
    assert _sorted(await export_trades(db, "cents"), stored) == _sorted(rows, stored)


async def test_csv_dollar_trades(repos: Repositories, db: Database) -> None:
    path = REALDATA / "multi_trades.csv.gz"
    header, rows = read_csv(path)
    report = await run_import(repos, path)
    assert report.tables["market_trades"].inserted == len(rows) == 254
    assert report.files[0].ignored_columns == []
    exported = await export_trades(db, "dollars")
    assert _sorted(exported, header) == _sorted(rows, header)
    # exact Decimal from the wire: "0.29" is 0.29, not 0.28999...
    prices = {Decimal(r["price"]) for r in rows}
    async with db.acquire() as conn:
        stored = {r["yes_price"] for r in await conn.fetch("SELECT yes_price FROM market_trades")}
    assert stored == prices


@pytest.mark.parametrize("name", ["multi_closed_markets.csv", "multi_enriched_markets.csv"])
async def test_csv_markets(repos: Repositories, db: Database, name: str) -> None:
    path = REALDATA / name
    _, rows = read_csv(path)
    report = await run_import(repos, path)
    assert report.tables["markets"].inserted == len(rows) == 45
    ignored = {"category", "normalized_status", "volume", "last_price"}
    if "enriched" in name:
        ignored |= {"category_event", "event_time"}
    assert set(report.files[0].ignored_columns) == ignored
    stored = await export_markets(db)
    assert set(stored) == {r["ticker"] for r in rows}
    for r in rows:
        m = stored[r["ticker"]]
        assert m["event_ticker"] == r["event_ticker"]
        assert m["status"] == r["status"]
        assert rfc3339(m["close_time"]) == r["close_time"]
        assert m["result"] == r["result"]  # settlement comes from the recorded result
        assert cents(m["settlement_value"]) == r["settlement_value"]
        if "enriched" in name:
            assert (m["title"], m["series_ticker"]) == (r["title"], r["series_ticker"])
        else:
            assert m["title"] is None


@pytest.mark.parametrize("units", ["cents", "dollars"])
async def test_candle_payload_csv(
    repos: Repositories, db: Database, tmp_path: Path, units: str
) -> None:
    path = write_candles_csv(tmp_path / f"candles_{units}.csv", units)
    header, rows = read_csv(path)
    report = await run_import(repos, path)
    assert report.files[0].kind == "candles"
    assert report.tables["market_candles"].inserted == len(rows) == 11
    exported = await export_candles(db, header)
    assert exported == rows
    candles = await repos.history.get_candles(CANDLE_TICKER, 1440)
    assert any(c.price_close is None for c in candles)  # periods without trades stay empty
    assert all(c.yes_bid_close <= c.yes_ask_close for c in candles)


@pytest.mark.parametrize("time_unit", ["us", "ns"])
async def test_public_parquet_layout(
    repos: Repositories, db: Database, tmp_path: Path, time_unit: str
) -> None:
    markets, trades = write_public_layout(tmp_path / "kalshi", time_unit=time_unit)
    report = await run_import(repos, tmp_path / "kalshi")
    assert [f.kind for f in report.files] == ["markets", "trades", "trades"]
    assert report.tables["markets"].inserted == len(markets) == 45
    assert report.tables["market_trades"].inserted == len(trades) == 254
    assert set(report.files[0].ignored_columns) == {
        "yes_bid",
        "yes_ask",
        "no_bid",
        "no_ask",
        "last_price",
        "volume",
        "volume_24h",
        "open_interest",
    }
    assert report.files[1].ignored_columns == ["_fetched_at"]

    async with db.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM market_trades ORDER BY trade_id")
    back = pd.DataFrame(
        [
            {
                "trade_id": r["trade_id"],
                "ticker": r["ticker"],
                "count": int(r["count"]),
                "yes_price": int(cents(r["yes_price"])),
                "no_price": int(cents(1 - r["yes_price"])),
                "taker_side": r["taker_side"],
                "created_time": r["created_time"],
            }
            for r in rows
        ]
    )
    expected = trades.drop(columns="_fetched_at").sort_values("trade_id").reset_index(drop=True)
    assert back.to_dict(orient="records") == expected.to_dict(orient="records")

    stored = await export_markets(db)
    for m in markets.to_dict(orient="records"):
        s = stored[m["ticker"]]
        assert (s["event_ticker"], s["market_type"], s["title"], s["status"]) == (
            m["event_ticker"],
            m["market_type"],
            m["title"],
            m["status"],
        )
        assert (s["yes_sub_title"], s["no_sub_title"], s["result"]) == ("", "", m["result"])
        assert s["close_time"] == m["close_time"]
        assert s["open_time"] is None
        assert isinstance(s["close_time"], datetime)
