"""What the recorded files say, read straight from the CSV with the standard library (not through
kalshi_sim.recorded), so the recorded-mode tests compare the simulator and the backfill with the
files themselves."""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "realdata" / "sim"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class FileTrade:
    trade_id: str
    ticker: str
    created_time: str  # the file's text
    price: Decimal  # YES price, dollars
    count: Decimal
    taker_side: str

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.created_time)


@dataclass(frozen=True)
class FileMarket:
    ticker: str
    status: str | None  # None: not recorded (derived by the simulator)
    result: str  # "" = none
    settlement_value: Decimal | None  # dollars
    volume: Decimal | None
    last_price: Decimal | None
    close_time: str | None


@dataclass(frozen=True)
class FileCandle:
    ticker: str
    end: int  # unix seconds: the minute's start + 60
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass
class Recording:
    markets: dict[str, FileMarket] = field(default_factory=dict)
    trades: list[FileTrade] = field(default_factory=list)
    candles: dict[str, list[FileCandle]] = field(default_factory=dict)
    events: set[str] = field(default_factory=set)
    series: set[str] = field(default_factory=set)

    def trades_by_market(self) -> dict[str, list[FileTrade]]:
        out: dict[str, list[FileTrade]] = defaultdict(list)
        for t in self.trades:
            out[t.ticker].append(t)
        return out

    def contracts(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for t in self.trades:
            out[t.ticker] += t.count
        for ticker, rows in self.candles.items():
            out[ticker] += sum((c.volume for c in rows), Decimal(0))
        return dict(out)


def _read(root: Path, name: str) -> list[dict[str, str]]:
    for path in (root / f"{name}.csv", root / f"{name}.csv.gz"):
        if path.exists():
            if path.suffix == ".gz":
                with gzip.open(path) as fh:
                    raw = fh.read()
            else:
                raw = path.read_bytes()
            return list(csv.DictReader(io.StringIO(raw.decode())))
    raise FileNotFoundError(f"{root}/{name}.csv[.gz]")


def read_recording(dataset: str, root: Path = FIXTURES) -> Recording:
    rec = Recording()
    if dataset == "multi":
        for r in _read(root, "multi_closed_markets"):
            sv = r["settlement_value"]
            rec.markets[r["ticker"]] = FileMarket(
                r["ticker"],
                r["status"],
                r["result"],
                Decimal(sv) * CENT if sv else None,
                Decimal(r["volume"]),
                Decimal(r["last_price"]) * CENT,
                r["close_time"],
            )
        rec.events = {r["event_ticker"] for r in _read(root, "multi_events")}
        rec.series = {r["series_ticker"] for r in _read(root, "multi_enriched_markets")}
        for r in _read(root, "multi_trades"):
            rec.trades.append(
                FileTrade(
                    r["trade_id"],
                    r["ticker"],
                    r["created_time"],
                    Decimal(r["price"]),
                    Decimal(r["count"]),
                    r["taker_side"],
                )
            )
    elif dataset == "econ":
        for r in _read(root, "econ_trades"):
            rec.trades.append(
                FileTrade(
                    r["trade_id"],
                    r["ticker"],
                    r["created_time"],
                    Decimal(r["yes_price"]) * CENT,
                    Decimal(r["count"]),
                    r["taker_side"],
                )
            )
        for t in rec.trades:
            rec.markets.setdefault(t.ticker, FileMarket(t.ticker, None, "", None, None, None, None))
    elif dataset == "nba":
        for r in _read(root, "nba_candles_1m"):
            rec.candles.setdefault(r["ticker"], []).append(
                FileCandle(
                    r["ticker"],
                    int(r["timestamp"]) + 60,
                    Decimal(r["open"]) * CENT,
                    Decimal(r["high"]) * CENT,
                    Decimal(r["low"]) * CENT,
                    Decimal(r["close"]) * CENT,
                    Decimal(r["volume"]),
                )
            )
        results = {r["ticker"]: r["result_inferred"] for r in _read(root, "nba_results_inferred")}
        for ticker in rec.candles:
            res = results.get(ticker, "")
            value = None if not res else Decimal(1 if res == "yes" else 0)
            rec.markets[ticker] = FileMarket(ticker, None, res, value, None, None, None)
    else:
        raise ValueError(dataset)
    # Kalshi names a series by the ticker's first part (the multi files name it too)
    rec.series = rec.series or {t.split("-")[0] for t in rec.markets}
    return rec


def unix(text: str) -> float:
    return datetime.fromisoformat(text).astimezone(UTC).timestamp()
