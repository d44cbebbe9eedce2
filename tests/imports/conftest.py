"""Helpers of the dump-import tests: the real-data excerpts, files written in the layouts a user
brings (CSV in cents or dollars, Kalshi candle payloads flattened, the public dataset's Parquet
folders), an export of the stored rows back into those layouts, and table snapshots that include
each row's version (xmin), so "changes nothing" means no row was rewritten."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from kalshi_core.imports import ImportReport, import_dump
from kalshi_core.storage.database import Database, Repositories

REALDATA = Path(__file__).resolve().parents[1] / "fixtures" / "realdata"
CANDLE_SAMPLE = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "kalshi"
    / "samples"
    / "candlesticks_KXNYKCOACH-25-MNORI_2025_legacy_plus_dollars.json"
)
CANDLE_TICKER = "KXNYKCOACH-25-MNORI"


async def run_import(repos: Repositories, *paths: Path, **kwargs: Any) -> ImportReport:
    return await import_dump(list(paths), history=repos.history, markets=repos.markets, **kwargs)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def rfc3339(dt: datetime) -> str:
    """Kalshi's time text: UTC, `Z`, fraction without trailing zeros (Go's RFC3339Nano)."""
    text = dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        text += "." + f"{dt.microsecond:06d}".rstrip("0")
    return text + "Z"


def cents(d: Decimal) -> str:
    c = d * 100
    assert c == c.to_integral_value(), d
    return str(int(c))


# --- the stored rows, exported back ---------------------------------------------------------


async def export_trades(db: Database, layout: str) -> list[dict[str, str]]:
    """market_trades as rows of a layout: "dollars" (multi_trades: `price`) or "cents"
    (yes_price/no_price), in the file's column names and text formats."""
    async with db.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM market_trades ORDER BY trade_id")
    out = []
    for r in rows:
        row = {
            "trade_id": r["trade_id"],
            "ticker": r["ticker"],
            "created_time": rfc3339(r["created_time"]),
            "count": str(r["count"]),
            "taker_side": r["taker_side"],
        }
        if layout == "dollars":
            row["price"] = str(r["yes_price"])
        else:
            row["yes_price"] = cents(r["yes_price"])
            row["no_price"] = cents(1 - r["yes_price"])
        out.append(row)
    return out


async def export_markets(db: Database) -> dict[str, dict[str, Any]]:
    async with db.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM markets ORDER BY ticker")
    return {r["ticker"]: dict(r) for r in rows}


async def export_candles(db: Database, columns: Sequence[str]) -> list[dict[str, str]]:
    """market_candles in Kalshi's flattened candlestick columns (`yes_bid_open` cents or
    `yes_bid_open_dollars` dollars, `end_period_ts`), as the given header names them."""
    async with db.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM market_candles ORDER BY ticker, end_time")
    out = []
    for r in rows:
        row: dict[str, str] = {}
        for col in columns:
            name = col.replace(".", "_")
            if name == "ticker":
                row[col] = r["ticker"]
            elif name == "period_interval":
                row[col] = str(r["period_minutes"])
            elif name == "end_period_ts":
                row[col] = str(int(r["end_time"].timestamp()))
            elif name in ("volume", "open_interest"):
                row[col] = str(r[name])
            elif name.endswith("_dollars"):
                v = r[name.removesuffix("_dollars")]
                row[col] = "" if v is None else str(v)
            else:
                v = r[name]
                row[col] = "" if v is None else cents(v)
        out.append(row)
    return out


async def table_state(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the import's tables with its xmin (a rewritten row gets a new one)."""
    state = {}
    async with db.acquire() as conn:
        for table, key in (
            ("markets", "ticker"),
            ("market_trades", "trade_id"),
            ("market_candles", "ticker, period_minutes, end_time"),
        ):
            rows = await conn.fetch(f"SELECT xmin::text AS v, * FROM {table} ORDER BY {key}")
            state[table] = [tuple(r.values()) for r in rows]
    return state


# --- files in the layouts users bring ---------------------------------------------------------


def candle_sample_rows() -> list[dict[str, Any]]:
    """The real candlestick payload flattened as pandas does (`yes_bid.open_dollars`)."""
    payload = json.loads(CANDLE_SAMPLE.read_text())
    frame = pd.json_normalize(payload["candlesticks"])
    return frame.to_dict(orient="records")  # type: ignore[no-any-return]


def write_candles_csv(path: Path, units: str) -> Path:
    """The sample's candles as a CSV in "cents" (bare names) or "dollars" (`*_dollars`)."""
    rows = candle_sample_rows()
    keep = []
    for col in rows[0]:
        if not col.startswith(("yes_bid.", "yes_ask.", "price.")):
            continue
        field = col.split(".", 1)[1]
        if field.removesuffix("_dollars") not in ("open", "high", "low", "close"):
            continue  # mean/previous/min/max: not stored
        if field.endswith("_dollars") == (units == "dollars"):
            keep.append(col)
    header = ["ticker", "period_interval", "end_period_ts", *keep, "volume", "open_interest"]

    def cell(v: Any) -> str:
        if v is None or (isinstance(v, float) and v != v):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))  # pandas turned a nullable integer column into floats
        return str(v)

    body = [[CANDLE_TICKER, "1440", *(cell(r[c]) for c in header[2:])] for r in rows]
    return write_csv(path, header, body)


def write_public_layout(
    root: Path, trade_files: int = 2, time_unit: str = "us"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The public dataset's layout, `kalshi/markets/*.parquet` and `kalshi/trades/*.parquet`,
    from the real excerpts, written as its indexer writes them (pandas `to_parquet`: cents as
    int64, a nullable cent column as float64 with NaN, tz-aware times, `_fetched_at` naive;
    pandas before 3.0 wrote times in nanoseconds: `time_unit="ns"`)."""
    _, trades = read_csv(REALDATA / "multi_trades.csv.gz")
    _, markets = read_csv(REALDATA / "multi_enriched_markets.csv")
    fetched = datetime(2026, 3, 20, 12, 0)  # naive on purpose, as utcnow() writes it
    trade_frame = pd.DataFrame(
        [
            {
                "trade_id": t["trade_id"],
                "ticker": t["ticker"],
                "count": int(t["count"]),
                "yes_price": int(cents(Decimal(t["price"]))),
                "no_price": 100 - int(cents(Decimal(t["price"]))),
                "taker_side": t["taker_side"],
                "created_time": datetime.fromisoformat(t["created_time"]),
                "_fetched_at": fetched,
            }
            for t in trades
        ]
    )
    market_frame = pd.DataFrame(
        [
            {
                "ticker": m["ticker"],
                "event_ticker": m["event_ticker"],
                "market_type": "binary",
                "title": m["title"],
                "yes_sub_title": "",
                "no_sub_title": "",
                "status": m["status"],
                "yes_bid": None if i % 3 else 1,
                "yes_ask": None if i % 3 else 99,
                "no_bid": None if i % 3 else 1,
                "no_ask": None if i % 3 else 99,
                "last_price": int(m["last_price"]),
                "volume": int(m["volume"]),
                "volume_24h": 0,
                "open_interest": 0,
                "result": m["result"],
                "created_time": datetime(2025, 11, 1, tzinfo=UTC),
                "open_time": None,
                "close_time": datetime.fromisoformat(m["close_time"]),
                "_fetched_at": fetched,
            }
            for i, m in enumerate(markets)
        ]
    )
    for frame in (trade_frame, market_frame):
        for col in ("created_time", "close_time"):
            if col in frame:
                frame[col] = frame[col].astype(f"datetime64[{time_unit}, UTC]")
        frame["_fetched_at"] = frame["_fetched_at"].astype(f"datetime64[{time_unit}]")
    (root / "markets").mkdir(parents=True)
    (root / "trades").mkdir(parents=True)
    market_frame.to_parquet(root / "markets" / f"markets_0_{len(market_frame)}.parquet")
    step = -(-len(trade_frame) // trade_files)
    for i in range(0, len(trade_frame), step):
        trade_frame.iloc[i : i + step].to_parquet(
            root / "trades" / f"trades_{i}_{i + step}.parquet"
        )
    return market_frame, trade_frame
