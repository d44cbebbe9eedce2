"""Contract: importing is idempotent and merges with what is stored. A second import of the same
files changes nothing (no row rewritten: every row keeps its xmin) and reports every row
unchanged; rows repeated inside an import are counted and skipped; a changed value is an
update; a dump that does not hold a field keeps the stored value (market metadata, a trade's
block flag, a candle's trade prices); a dump's market older than the stored one (by
updated_time) is kept as stored and counted."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kalshi_core.models import Market, Trade
from kalshi_core.storage.database import Database, Repositories
from tests.imports.conftest import (
    REALDATA,
    read_csv,
    run_import,
    table_state,
    write_candles_csv,
    write_csv,
    write_public_layout,
)

pytestmark = pytest.mark.usefixtures("clean_db")


def _all_inputs(tmp_path: Path) -> list[Path]:
    write_public_layout(tmp_path / "kalshi")
    return [
        REALDATA / "multi_enriched_markets.csv",
        REALDATA / "econ_trades.csv.gz",
        write_candles_csv(tmp_path / "candles.csv", "dollars"),
        tmp_path / "kalshi",  # markets again (newer-or-equal rows) and the multi_trades tape
    ]


async def test_second_import_changes_nothing(
    repos: Repositories, db: Database, tmp_path: Path
) -> None:
    inputs = _all_inputs(tmp_path)
    first = await run_import(repos, *inputs, batch_rows=100)
    assert first.tables["market_trades"].inserted == 300 + 254
    assert first.tables["market_candles"].inserted == 11
    # the same 45 markets come from the CSV and the Parquet folder: one row each
    assert first.tables["markets"].inserted == 45
    assert first.tables["markets"].duplicates == 45
    before = await table_state(db)

    second = await run_import(repos, *inputs, batch_rows=100)
    assert await table_state(db) == before
    for table, counts in second.tables.items():
        assert (counts.inserted, counts.updated) == (0, 0), table
        assert counts.unchanged == first.tables[table].inserted
    assert second.duplicates == first.duplicates


async def test_duplicates_in_one_import_are_skipped(
    repos: Repositories, db: Database, tmp_path: Path
) -> None:
    header, rows = read_csv(REALDATA / "multi_trades.csv.gz")
    part = write_csv(tmp_path / "part.csv", header, [list(r.values()) for r in rows[:10]])
    report = await run_import(repos, REALDATA / "multi_trades.csv.gz", part)
    counts = report.tables["market_trades"]
    assert (counts.rows, counts.inserted, counts.duplicates) == (264, 254, 10)
    assert report.metadata()["skipped_duplicates"] == 10
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM market_trades") == 254


async def test_changed_values_update_and_unsaid_fields_are_kept(
    repos: Repositories, db: Database, tmp_path: Path
) -> None:
    header, rows = read_csv(REALDATA / "multi_trades.csv.gz")
    first = rows[0]
    # a stored trade knows it was a block trade; the dump does not say
    await repos.history.replace_trades(
        [first["ticker"]],
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
        [
            Trade(
                trade_id=first["trade_id"],
                ticker=first["ticker"],
                created_time=datetime.fromisoformat(first["created_time"]),
                yes_price=Decimal(first["price"]),
                count=Decimal(first["count"]),
                taker_side=first["taker_side"],  # type: ignore[arg-type]
                is_block_trade=True,
            )
        ],
    )
    report = await run_import(repos, REALDATA / "multi_trades.csv.gz")
    counts = report.tables["market_trades"]
    assert (counts.inserted, counts.updated, counts.unchanged) == (253, 0, 1)
    changed = [dict(r) for r in rows]
    changed[1]["count"] = str(int(changed[1]["count"]) + 1)
    path = write_csv(tmp_path / "changed.csv", header, [list(r.values()) for r in changed])
    report = await run_import(repos, path)
    counts = report.tables["market_trades"]
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 253)
    async with db.acquire() as conn:
        block = await conn.fetchval(
            "SELECT is_block_trade FROM market_trades WHERE trade_id = $1", first["trade_id"]
        )
        count = await conn.fetchval(
            "SELECT count FROM market_trades WHERE trade_id = $1", rows[1]["trade_id"]
        )
    assert block is True
    assert count == Decimal(changed[1]["count"])


async def test_market_fields_missing_from_the_dump_keep_stored_values(
    repos: Repositories, db: Database
) -> None:
    _, rows = read_csv(REALDATA / "multi_closed_markets.csv")
    r = rows[0]
    stored = Market(
        ticker=r["ticker"],
        event_ticker=r["event_ticker"],
        series_ticker="KXSTORED",
        title="Stored title",
        status="active",
        can_close_early=True,
        tick_size=Decimal("0.01"),
        expected_expiration_time=datetime(2025, 11, 10, tzinfo=UTC),
    )
    await repos.markets.upsert_markets([stored])
    report = await run_import(repos, REALDATA / "multi_closed_markets.csv")
    assert (report.tables["markets"].inserted, report.tables["markets"].updated) == (44, 1)
    got = await repos.markets.get_market(r["ticker"])
    assert got is not None
    # the dump's fields win (a dump without updated_time is taken as the latest word)...
    assert (got.status, got.result, got.settlement_value) == ("determined", "no", Decimal(0))
    # ...and what it does not hold stays
    assert (got.series_ticker, got.title, got.can_close_early) == ("KXSTORED", "Stored title", True)
    assert got.tick_size == Decimal("0.01")
    assert got.expected_expiration_time == datetime(2025, 11, 10, tzinfo=UTC)


async def test_older_market_rows_do_not_overwrite_newer_ones(
    repos: Repositories, tmp_path: Path
) -> None:
    newer = datetime(2025, 11, 10, tzinfo=UTC)
    stored = Market(
        ticker="KXA-1", event_ticker="KXA", status="finalized", result="yes", updated_at=newer
    )
    await repos.markets.upsert_markets([stored])
    path = write_csv(
        tmp_path / "markets.csv",
        ["ticker", "event_ticker", "status", "result", "updated_time"],
        [
            ["KXA-1", "KXA", "active", "", "2025-11-01T00:00:00Z"],  # older than stored
            ["KXA-2", "KXA", "active", "", "2025-11-01T00:00:00Z"],
            ["KXA-2", "KXA", "finalized", "no", "2025-11-02T00:00:00Z"],  # newest row wins
        ],
    )
    report = await run_import(repos, path)
    assert report.markets_older_than_stored == 1
    m = report.tables["markets"]
    assert (m.rows, m.inserted, m.updated, m.unchanged, m.duplicates) == (3, 1, 0, 1, 1)
    assert await repos.markets.get_market("KXA-1") == stored
    got = await repos.markets.get_market("KXA-2")
    assert got is not None
    assert (got.status, got.result) == ("finalized", "no")
    assert got.updated_at == datetime(2025, 11, 2, tzinfo=UTC)
