"""Contract: `snapshot_frame` read as binary COPY is the frame the Records path built — the same
rows in the same order (time, then ticker), the same float64 values (micro-dollars and
centi-contracts divided in SQL), the same dtypes, also for the as-of seed and an empty result;
a stream that is not the expected binary layout is refused with a clear error."""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pandas as pd
import pytest

from kalshi_core.models import MarketSnapshot
from kalshi_core.storage.database import Database, Repositories
from kalshi_core.storage.postgres import frame_copy
from kalshi_core.storage.postgres.frame_copy import (
    _FRAME_SELECT,
    SNAPSHOT_FRAME_COLUMNS,
    FrameCopyError,
    _FrameCopy,
    records_frame,
)
from tests.builders import T0

Snap = Callable[..., MarketSnapshot]
pytestmark = pytest.mark.usefixtures("clean_db")

_REFERENCE = (
    f"SELECT m.ticker, h.observed_at, {_FRAME_SELECT} FROM market_snapshots h "
    "JOIN markets m ON m.id = h.market_id WHERE m.ticker = ANY($1::text[]) "
    "AND h.observed_at >= $2 AND h.observed_at < $3 ORDER BY h.observed_at, m.ticker"
)


async def _reference(db: Database, tickers: list[str], start: Any, end: Any) -> pd.DataFrame:
    """The frame as `records_frame` built it from asyncpg Records."""
    async with db.acquire() as conn:
        rows = await conn.fetch(_REFERENCE, tickers, start, end)
    return records_frame(rows, SNAPSHOT_FRAME_COLUMNS, time_column="observed_at")


async def test_copy_frame_equals_the_records_frame(
    db: Database, repos: Repositories, snap: Snap
) -> None:
    tickers = ["KXB-2", "KXA-1", "KXA-10", "KXC-3"]
    odd = {"bid": "0.000001", "ask": "0.999999", "last": "0.123457", "bid_size": "0.01"}
    for k in range(6):
        batch = [
            snap(t, k * 7 + i, **(odd if (k + i) % 3 == 0 else {}), volume=f"{k * 1234567.89:.2f}")
            for i, t in enumerate(tickers)
        ]
        batch.append(snap("KXA-1", k * 7 + 0, bid="0.3333", sequence=2))  # same time as KXB-2
        await repos.markets.save_many(batch)
    start, end = T0 + timedelta(seconds=5), T0 + timedelta(seconds=40)
    frame = await repos.markets.snapshot_frame(tickers, start, end)
    expected = await _reference(db, tickers, start, end)
    assert len(frame) > 10
    assert frame.dtypes.equals(expected.dtypes)
    assert frame.equals(expected)
    assert list(frame["market_ticker"].map(type).unique()) == [str]

    seeded = await repos.markets.snapshot_frame(tickers, start, end, as_of=True)
    async with db.acquire() as conn:
        seed_rows = await conn.fetch(
            f"SELECT DISTINCT ON (m.ticker) m.ticker, h.observed_at, {_FRAME_SELECT} "
            "FROM market_snapshots h JOIN markets m ON m.id = h.market_id "
            "WHERE m.ticker = ANY($1::text[]) AND h.observed_at < $2 "
            "ORDER BY m.ticker, h.observed_at DESC",
            tickers,
            start,
        )
    seed = records_frame(seed_rows, SNAPSHOT_FRAME_COLUMNS, time_column="observed_at")
    seed = seed.sort_values(["observed_at", "market_ticker"], kind="stable")
    assert seeded.equals(pd.concat([seed, expected], ignore_index=True))

    empty = await repos.markets.snapshot_frame(["KXNOPE"])
    assert empty.dtypes.equals(await _reference_empty(db))
    assert empty.empty


async def _reference_empty(db: Database) -> pd.Series:
    return (await _reference(db, ["KXNOPE"], T0, T0 + timedelta(days=1))).dtypes


def _stream(*rows: bytes, trailer: bool = True) -> list[bytes]:
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    return [header, *rows, *([b"\xff\xff"] if trailer else [])]


def _row(nfields: int = 9, id_len: int = 4) -> bytes:
    fields = struct.pack(">hii", nfields, id_len, 7) + struct.pack(">iq", 8, 0)
    return fields + b"".join(struct.pack(">id", 8, 0.5) for _ in range(7))


@pytest.mark.parametrize(
    ("chunks", "message"),
    [
        ([b"COPY, not binary....."], "not a binary COPY stream"),
        (_stream(_row(nfields=8)), "does not have the expected columns"),
        (_stream(_row(id_len=-1)), "column market_id is NULL"),
        (_stream(_row(), trailer=False), "ended with 0 unread bytes"),
        (_stream(_row()[:-3]), "unread bytes"),
    ],
)
async def test_a_stream_not_in_the_expected_layout_is_refused(
    chunks: list[bytes], message: str
) -> None:
    with pytest.raises(FrameCopyError, match=message):
        await _feed(chunks)


async def _feed(chunks: list[bytes]) -> dict[str, Any]:
    stream = _FrameCopy()
    for chunk in chunks:
        await stream(chunk)
    return stream.finish()


async def test_a_stream_split_anywhere_parses_the_same() -> None:
    data = b"".join(_stream(_row(), _row()))
    for cut in range(1, len(data)):
        stream = _FrameCopy()
        with mock.patch.object(frame_copy, "_PARSE_BYTES", 1):  # parse after every chunk
            await stream(data[:cut])
            await stream(data[cut:])
            columns = stream.finish()
        assert columns["market_id"].tolist() == [7, 7]
        assert columns["yes_bid"].tolist() == [0.5, 0.5]
