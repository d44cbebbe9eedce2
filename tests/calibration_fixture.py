"""The calibration fixture (tests/fixtures/calibration/*.csv) and its analysis worked by hand.

Series KXCAL (quadratic, multiplier 1); market C's event overrides the multiplier to 0.5. Every
market closes 2026-01-10 12:00 UTC, so with the default 10-minute window prints from 11:50 on
are left out. Eleven prints:

| id  | market | result | time  | price | contracts | fate                                     |
|-----|--------|--------|-------|-------|-----------|------------------------------------------|
| t01 | A      | yes    | 10:00 | 0.50  | 10        | band [0.50, 0.65) (on an inner edge)     |
| t02 | A      | yes    | 10:30 | 0.62  | 5         | band [0.50, 0.65)                        |
| t03 | A      | yes    | 11:55 | 0.97  | 20        | excluded: inside the pre-close window    |
| t04 | A      | yes    | 11:00 | 0.90  | 4         | band [0.90, 0.95) (on an inner edge)     |
| t05 | B      | no     | 09:00 | 0.55  | 10        | band [0.50, 0.65)                        |
| t06 | B      | no     | 09:30 | 0.08  | 100       | band [0.05, 0.10)                        |
| t07 | B      | no     | 11:50 | 0.12  | 3         | excluded: exactly at the window's start  |
| t08 | B      | no     | 11:49 | 0.12  | 3         | band [0.10, 0.20)                        |
| t09 | C      | yes    | 10:00 | 0.30  | 7         | band [0.20, 0.35), fee multiplier 0.5    |
| t10 | C      | yes    | 10:00 | 0.93  | 50        | band [0.90, 0.95), fee multiplier 0.5    |
| t11 | V      | void   | 10:00 | 0.40  | 8         | excluded: void market                    |

Taker fee of a print = ceil_cent(ceil_0.0001(M * 0.07 * C * P * (1 - P))):
t01 0.07*10*0.25 = 0.175 -> 0.18; t02 0.07*5*0.62*0.38 = 0.08246 -> 0.0825 -> 0.09;
t04 0.07*4*0.9*0.1 = 0.0252 -> 0.03; t05 0.07*10*0.55*0.45 = 0.17325 -> 0.1733 -> 0.18;
t06 0.07*100*0.08*0.92 = 0.5152 -> 0.52; t08 0.07*3*0.12*0.88 = 0.022176 -> 0.0222 -> 0.03;
t09 0.5*0.07*7*0.3*0.7 = 0.05145 -> 0.0515 -> 0.06; t10 0.5*0.07*50*0.93*0.07 = 0.113925
-> 0.1140 -> 0.12.

Return of a print = (c (y - p) - fee) / p; a band's return = sum of those / sum(c):
- [0.05, 0.10): (100*(0-0.08) - 0.52)/0.08 = -106.5; / 100 = -1.065
- [0.10, 0.20): (3*(0-0.12) - 0.03)/0.12 = -3.25; / 3 = -1.0833333.. -> -1.083333
- [0.20, 0.35): (7*0.70 - 0.06)/0.30 = 16.1333..; / 7 = 2.3047619.. -> 2.304762
- [0.50, 0.65): t01 (5 - 0.18)/0.5 = 9.64, t02 (1.9 - 0.09)/0.62 = 2.9193548..,
  t05 (-5.5 - 0.18)/0.55 = -10.3272727..; sum 2.2320821..; / 25 = 0.0892832.. -> 0.089283;
  mean price (5 + 3.1 + 5.5)/25 = 0.544; win rate 15/25 = 0.6
- [0.90, 0.95): t04 (0.4 - 0.03)/0.9 = 0.4111.., t10 (3.5 - 0.12)/0.93 = 3.6344086..;
  sum 4.0455197..; / 54 = 0.0749170.. -> 0.074917; mean price (3.6 + 46.5)/54 = 0.9277777..
  -> 0.927778; win rate 1

Brier: sum c (p - y)^2 = 2.5 + 0.722 + 0.04 + 3.025 + 0.64 + 0.0432 + 3.43 + 0.245 = 10.6452;
/ 189 contracts = 0.0563238.. -> 0.056324.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from kalshi_core.analysis.calibration import CalibrationTrade
from kalshi_core.models import Event, Market, Series, Trade
from kalshi_core.storage.database import Repositories

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "calibration"
SERIES = "KXCAL"
D = Decimal

# (lower, upper, observations, contracts, mean_price, win_rate, return_after_fees, fees)
EXPECTED_BANDS: list[tuple[str, str, int, str, str | None, str | None, str | None, str]] = [
    ("0", "0.05", 0, "0", None, None, None, "0"),
    ("0.05", "0.10", 1, "100", "0.080000", "0.000000", "-1.065000", "0.52"),
    ("0.10", "0.20", 1, "3", "0.120000", "0.000000", "-1.083333", "0.03"),
    ("0.20", "0.35", 1, "7", "0.300000", "1.000000", "2.304762", "0.06"),
    ("0.35", "0.50", 0, "0", None, None, None, "0"),
    ("0.50", "0.65", 3, "25", "0.544000", "0.600000", "0.089283", "0.45"),
    ("0.65", "0.80", 0, "0", None, None, None, "0"),
    ("0.80", "0.90", 0, "0", None, None, None, "0"),
    ("0.90", "0.95", 2, "54", "0.927778", "1.000000", "0.074917", "0.15"),
    ("0.95", "1.00", 0, "0", None, None, None, "0"),
]
EXPECTED_OBSERVATIONS = 8
EXPECTED_CONTRACTS = D(189)
EXPECTED_MARKETS = 3
EXPECTED_BRIER = D("0.056324")
EXPECTED_EXCLUSIONS = {
    "unsettled": 1,
    "no_close_time": 0,
    "close_window": 2,
    "zero_count": 0,
    "zero_price": 0,
}
EXPECTED_FIRST = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
EXPECTED_LAST = datetime(2026, 1, 10, 11, 49, tzinfo=UTC)


@dataclass(frozen=True)
class CalibrationFixture:
    series: list[Series]
    events: list[Event]
    markets: list[Market]
    trades: list[Trade]


def _rows(name: str) -> list[dict[str, str]]:
    with (FIXTURE_DIR / name).open(newline="") as f:
        return list(csv.DictReader(f))


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def load() -> CalibrationFixture:
    series = [
        Series(ticker=r["ticker"], fee_type=r["fee_type"], fee_multiplier=D(r["fee_multiplier"]))
        for r in _rows("series.csv")
    ]
    events = [
        Event(
            event_ticker=r["event_ticker"],
            series_ticker=r["series_ticker"],
            fee_type_override=r["fee_type_override"] or None,
            fee_multiplier_override=D(r["fee_multiplier_override"])
            if r["fee_multiplier_override"]
            else None,
        )
        for r in _rows("events.csv")
    ]
    markets = [
        Market(
            ticker=r["ticker"],
            event_ticker=r["event_ticker"],
            series_ticker=r["series_ticker"],
            status=r["status"],
            result=r["result"],
            close_time=_time(r["close_time"]),
        )
        for r in _rows("markets.csv")
    ]
    trades = [
        Trade(
            trade_id=r["trade_id"],
            ticker=r["ticker"],
            created_time=_time(r["created_time"]),
            yes_price=D(r["yes_price"]),
            count=D(r["count"]),
            taker_side=r["taker_side"],  # type: ignore[arg-type]
        )
        for r in _rows("trades.csv")
    ]
    return CalibrationFixture(series, events, markets, trades)


def calibration_rows(fx: CalibrationFixture | None = None) -> list[CalibrationTrade]:
    """The prints as the analysis reads them (what the repository's joins give)."""
    fx = fx or load()
    markets = {m.ticker: m for m in fx.markets}
    events = {e.event_ticker: e for e in fx.events}
    series = {s.ticker: s for s in fx.series}
    rows = []
    for t in fx.trades:
        m = markets[t.ticker]
        e = events[m.event_ticker]
        s = series[m.series_ticker or e.series_ticker]
        fee_type, multiplier = s.fee_type, s.fee_multiplier
        if e.fee_type_override:
            fee_type = e.fee_type_override
            if e.fee_multiplier_override is not None:
                multiplier = e.fee_multiplier_override
        rows.append(
            CalibrationTrade(
                ticker=t.ticker,
                created_time=t.created_time,
                yes_price=t.yes_price,
                count=t.count,
                result=m.result,
                close_time=m.close_time,
                fee_type=fee_type,
                fee_multiplier=multiplier,
            )
        )
    return rows


async def seed(repos: Repositories, fx: CalibrationFixture | None = None) -> CalibrationFixture:
    """Write the fixture's series, events, markets and trades through the repositories."""
    fx = fx or load()
    await repos.series.upsert_many(fx.series)
    await repos.events.upsert_many(fx.events)
    await repos.markets.upsert_markets(fx.markets)
    tickers = sorted({t.ticker for t in fx.trades})
    start = min(t.created_time for t in fx.trades)
    end = max(t.created_time for t in fx.trades)
    await repos.history.replace_trades(tickers, start, end + timedelta(seconds=1), fx.trades)
    return fx
