"""Contract: replay mode serves recorded top-of-book snapshots through the same API.

With the real KXHIGHNY 1-minute recording (tests/fixtures/kalshi/samples/), at any simulated
time each market shows its latest recorded row (yes bid/ask, no bid = 1 - yes ask, last price,
volume, open interest); trades are the recorded volume increments; candles and books agree with
the recording; the replay clock starts at the first snapshot and runs at --speed. Bad files fail
with a clear error.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from kalshi_sim.config import SimConfig
from kalshi_sim.replay import ReplayError, ReplayModel
from kalshi_sim.testing import SimServer, serve
from sim.spec import openapi_errors, reference_errors
from tests.kalshi_reference import SAMPLES

CSV = "market_snapshots_KXHIGHNY_2025-11-24_1min_cents.csv"


def _rows() -> dict[float, dict[str, dict[str, str]]]:
    out: dict[float, dict[str, dict[str, str]]] = defaultdict(dict)
    with (SAMPLES / CSV).open() as fh:
        for rec in csv.DictReader(fh):
            ts = datetime.fromisoformat(rec["timestamp"]).timestamp()
            out[ts][rec["ticker"]] = rec
    return dict(out)


@pytest.fixture(scope="module")
def replay() -> Iterator[SimServer]:
    cfg = SimConfig(replay_path=SAMPLES / CSV, replay_speed=0.0, rate_limit_per_s=0.0)
    with serve(cfg) as server:
        yield server


def _cents(d: str) -> int:
    return int(Decimal(d) * 100)


def test_markets_show_the_recorded_quotes(replay: SimServer) -> None:
    rows = _rows()
    times = sorted(rows)
    with (
        httpx.Client(base_url=replay.base_url) as api,
        httpx.Client(base_url=replay.root_url) as admin,
    ):
        assert admin.get("/_sim/clock").json()["sim_ts"] == pytest.approx(times[0])
        for ts in [*times[:: max(1, len(times) // 12)], times[-1]]:
            admin.post("/_sim/clock", json={"sim_ts": ts + 30}).raise_for_status()
            body = api.get("/markets").json()
            assert not openapi_errors(body, "GetMarketsResponse")
            assert not reference_errors(body, "GetMarketsResponse")
            got = {m["ticker"]: m for m in body["markets"]}
            assert set(got) == set(rows[ts])
            for ticker, rec in rows[ts].items():
                m = got[ticker]
                assert m["status"] == "active"
                assert _cents(m["yes_bid_dollars"]) == int(rec["yes_bid"])
                ask = int(rec["yes_ask"])
                assert _cents(m["yes_ask_dollars"]) == (100 if ask in (0, 100) else ask)
                assert _cents(m["no_bid_dollars"]) == int(rec["no_bid"])
                assert _cents(m["last_price_dollars"]) == int(rec["last_price"])
                assert Decimal(m["volume_fp"]) == int(rec["volume"])
                assert Decimal(m["open_interest_fp"]) == int(rec["open_interest"])
                book = api.get(f"/markets/{ticker}/orderbook").json()["orderbook_fp"]
                if int(rec["yes_bid"]) > 0:
                    assert _cents(book["yes_dollars"][-1][0]) == int(rec["yes_bid"])


def test_trades_are_recorded_volume_increments(replay: SimServer) -> None:
    rows = _rows()
    times = sorted(rows)
    ticker = "KXHIGHNY-25NOV25-B54.5"
    with (
        httpx.Client(base_url=replay.base_url) as api,
        httpx.Client(base_url=replay.root_url) as admin,
    ):
        admin.post("/_sim/clock", json={"sim_ts": times[-1] + 60}).raise_for_status()
        trades = api.get("/markets/trades", params={"ticker": ticker, "limit": 1000}).json()
        total = sum(Decimal(t["count_fp"]) for t in trades["trades"])
        first, last = rows[times[0]][ticker], rows[times[-1]][ticker]
        assert total == int(last["volume"]) - int(first["volume"])
        assert total > 0
        candles = api.get(
            f"/series/KXHIGHNY/markets/{ticker}/candlesticks",
            params={"start_ts": int(times[0]), "end_ts": int(times[-1]) + 60, "period_interval": 1},
        ).json()["candlesticks"]
        assert sum(Decimal(c["volume_fp"]) for c in candles) == total
        assert candles[-1]["yes_bid"]["close_dollars"] == f"{int(last['yes_bid']) / 100:.4f}"


def test_replay_clock_runs_at_speed(tmp_path: Path) -> None:
    cfg = SimConfig(replay_path=SAMPLES / CSV, replay_speed=60.0, rate_limit_per_s=0.0)
    with serve(cfg) as server, httpx.Client(base_url=server.root_url) as admin:
        clock = admin.get("/_sim/clock").json()
        assert clock["time_scale"] == 60.0
        assert clock["sim_ts"] >= min(_rows())


def test_bad_replay_files_fail_clearly(tmp_path: Path) -> None:
    missing = tmp_path / "missing_cols.csv"
    missing.write_text("timestamp,ticker,yes_bid\n2025-11-24T23:05:38+00:00,X-1,5\n")
    with pytest.raises(ReplayError, match="missing columns"):
        ReplayModel.from_csv(missing)
    bad = tmp_path / "bad_value.csv"
    header = "timestamp,ticker,yes_bid,yes_ask,no_bid,no_ask,last_price,open_interest,volume\n"
    bad.write_text(header + "2025-11-24T23:05:38+00:00,X-1,five,8,92,95,3,214,227\n")
    with pytest.raises(ReplayError, match=r"bad_value.csv:2"):
        ReplayModel.from_csv(bad)
    naive = tmp_path / "naive.csv"
    naive.write_text(header + "2025-11-24T23:05:38,X-1,5,8,92,95,3,214,227\n")
    with pytest.raises(ReplayError, match="timezone"):
        ReplayModel.from_csv(naive)
