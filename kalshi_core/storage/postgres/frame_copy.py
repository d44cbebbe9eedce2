"""Snapshot frames read as binary COPY: quote rows as float64 DataFrame columns for vectorized
backtests (`PostgresMarketRepository.snapshot_frame`).

`FRAME_COPY_SELECT` is the select list a frame query must use; `copy_snapshot_frame` streams the
query's binary COPY, parses it with numpy and maps the market ids to tickers. `records_frame`
builds a frame with the same dtypes from asyncpg Records: the empty snapshot frame, the candle
frames of `kalshi_core.storage.postgres.history`, and the reference the COPY path is tested
against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import asyncpg
import numpy as np
import numpy.typing as npt
import pandas as pd

from kalshi_core.storage.tables import QUOTE_PRICES
from kalshi_core.units import CENTI_PER_CONTRACT, MICROS_PER_DOLLAR

_FRAME_FLOATS: Final = (
    "yes_bid",
    "yes_ask",
    "last_price",
    "yes_bid_size",
    "yes_ask_size",
    "volume",
    "open_interest",
)
SNAPSHOT_FRAME_COLUMNS: Final = ("market_ticker", "observed_at", *_FRAME_FLOATS)
# Exact integers to float64 in SQL: both operands are exact doubles, so the division gives the
# double nearest the true value, as float(Decimal) does.
_FRAME_SELECT: Final = ", ".join(
    f"h.{c}::float8 / {MICROS_PER_DOLLAR if c in QUOTE_PRICES else CENTI_PER_CONTRACT}"
    for c in _FRAME_FLOATS
)

# Frames are read as binary COPY (`_FrameCopy`): 6M asyncpg Records cost ~5 us a row to build
# and turn into a DataFrame, the tuples of a binary COPY are parsed by numpy in bulk. Every
# column is fixed-width and NOT NULL (the market id, the time, the float8 values computed in SQL
# exactly as above), so every tuple has the same size and a buffer of them is one structured
# array; the casts pin the binary layout the dtype below reads.
FRAME_COPY_SELECT: Final = f"h.market_id::int4, h.observed_at::timestamptz, {_FRAME_SELECT}"
"""The select list of a frame query over market_snapshots (alias h) for `copy_snapshot_frame`."""
_COPY_SIGNATURE: Final = b"PGCOPY\n\xff\r\n\x00"
_COPY_TRAILER: Final = b"\xff\xff"
_PG_EPOCH_US: Final = 946_684_800_000_000  # 2000-01-01, PostgreSQL's epoch, in Unix microseconds
_FRAME_ROW: Final = np.dtype(
    [("nfields", ">i2"), ("market_id__len", ">i4"), ("market_id", ">i4")]
    + [("observed_at__len", ">i4"), ("observed_at", ">i8")]
    + [item for c in _FRAME_FLOATS for item in ((f"{c}__len", ">i4"), (c, ">f8"))]
)
_FRAME_WIDTHS: Final = {"market_id": 4, "observed_at": 8, **dict.fromkeys(_FRAME_FLOATS, 8)}
_PARSE_BYTES: Final = 8 << 20  # parse the stream in buffers of ~8 MB
_TICKERS_OF_IDS: Final = "SELECT id, ticker FROM markets WHERE id = ANY($1::int4[])"


def records_frame(
    rows: list[asyncpg.Record], columns: Sequence[str], *, time_column: str
) -> pd.DataFrame:
    """A DataFrame of (text, timestamptz, float8...) rows with stable dtypes, even when empty."""
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(columns))
    frame[columns[0]] = frame[columns[0]].astype("object")
    frame[time_column] = pd.to_datetime(frame[time_column], utc=True)
    for c in columns[2:]:
        frame[c] = frame[c].astype("float64")
    return frame


class FrameCopyError(RuntimeError):
    """The binary COPY of a frame query is not the layout `_FRAME_ROW` reads."""


class _FrameCopy:
    """Receives the binary COPY of a frame query in arbitrary chunks and keeps its columns as
    native numpy arrays (parsed in buffers of `_PARSE_BYTES`, not kept as raw tuples)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._header_done = False
        self.columns: dict[str, list[npt.NDArray[Any]]] = {
            name: [] for name in ("market_id", "observed_at", *_FRAME_FLOATS)
        }

    async def __call__(self, chunk: bytes) -> None:
        self._buffer += chunk
        if len(self._buffer) >= _PARSE_BYTES:
            self._parse()

    def _parse(self) -> None:
        if not self._header_done:
            fixed = len(_COPY_SIGNATURE) + 8
            if len(self._buffer) < fixed:
                return
            if bytes(self._buffer[: len(_COPY_SIGNATURE)]) != _COPY_SIGNATURE:
                raise FrameCopyError("snapshot frame: not a binary COPY stream")
            ext = int.from_bytes(self._buffer[fixed - 4 : fixed], "big")
            if len(self._buffer) < fixed + ext:
                return
            del self._buffer[: fixed + ext]
            self._header_done = True
        size = _FRAME_ROW.itemsize
        n = len(self._buffer) // size
        if n == 0:
            return
        rows = np.frombuffer(bytes(self._buffer[: n * size]), dtype=_FRAME_ROW)
        del self._buffer[: n * size]
        if (rows["nfields"] != len(_FRAME_WIDTHS)).any():
            raise FrameCopyError("snapshot frame: a COPY row does not have the expected columns")
        for name, width in _FRAME_WIDTHS.items():
            if (rows[f"{name}__len"] != width).any():
                raise FrameCopyError(f"snapshot frame: column {name} is NULL or not {width} bytes")
        self.columns["market_id"].append(rows["market_id"].astype(np.int32))
        self.columns["observed_at"].append(rows["observed_at"].astype(np.int64) + _PG_EPOCH_US)
        for name in _FRAME_FLOATS:
            self.columns[name].append(rows[name].astype(np.float64))

    def finish(self) -> dict[str, npt.NDArray[Any]]:
        """The columns, once the stream ended exactly with its trailer."""
        self._parse()
        if not self._header_done or bytes(self._buffer) != _COPY_TRAILER:
            raise FrameCopyError(
                f"snapshot frame: the COPY stream ended with {len(self._buffer)} unread bytes"
            )
        return {name: np.concatenate(parts) for name, parts in self.columns.items() if parts}


async def copy_snapshot_frame(
    conn: asyncpg.Connection, sql: str, args: Sequence[Any]
) -> pd.DataFrame:
    """The snapshot frame of `sql` (selecting `FRAME_COPY_SELECT`) read as binary COPY: the
    same frame, row order and dtypes as `records_frame` of the same rows. The tickers are read
    in the same snapshot as the rows (one repeatable-read transaction)."""
    stream = _FrameCopy()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.copy_from_query(sql, *args, output=stream, format="binary")
        columns = stream.finish()
        if not columns:
            return records_frame([], SNAPSHOT_FRAME_COLUMNS, time_column="observed_at")
        ids, codes = np.unique(columns["market_id"], return_inverse=True)
        names = dict(await conn.fetch(_TICKERS_OF_IDS, ids.tolist()))
    missing = [int(i) for i in ids if int(i) not in names]
    if missing:
        raise FrameCopyError(f"snapshot frame: market ids {missing} have no ticker")
    tickers = np.array([names[int(i)] for i in ids], dtype=object)
    times = columns["observed_at"].view("datetime64[us]")
    frame = pd.DataFrame(
        {
            "market_ticker": pd.Series(tickers[codes], dtype=object),
            "observed_at": pd.Series(times).dt.tz_localize("UTC"),
            **{name: columns[name] for name in _FRAME_FLOATS},
        },
        columns=list(SNAPSHOT_FRAME_COLUMNS),
    )
    return frame
