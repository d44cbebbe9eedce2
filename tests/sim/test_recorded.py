"""Contract: `python -m kalshi_sim --recorded DIR` serves real recordings as Kalshi served them.

- Markets carry their recorded status (finalized / determined), close time (exact text),
  result, settlement value, volume and last price; a result never comes from the last price
  (KXETHD-25NOV0911-T3519.99 settled "no" after a last trade at 0.98). Inferred results (nba)
  say so; a market without one is served closed without a result; econ markets have none.
- The historical cutoff splits markets (settled before it: only /historical/markets*) and
  trades (by their own time); /markets/trades and /historical/trades together hold every
  recorded trade exactly once, newest first, with the file's ids, times, prices, counts and
  sides, through cursor pages and the ticker / min_ts / max_ts filters.
- Candlesticks are the recorded trades (or recorded 1-minute candles) per period, on the live
  and the historical endpoint, without yes_bid / yes_ask / open interest (not recorded).
- A file with a missing column or a bad value is refused naming file, line and column.
"""

from __future__ import annotations

import gzip
import shutil
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from kalshi_sim.__main__ import main, parse_args
from kalshi_sim.config import SimConfig
from kalshi_sim.recorded.data import RecordedDataError
from kalshi_sim.recorded.loader import load_recorded
from kalshi_sim.testing import SimServer, serve
from tests.sim.recorded_files import FIXTURES, Recording, read_recording, unix


def _config(root: Path, *datasets: str) -> SimConfig:
    return SimConfig(recorded_dir=root, recorded_datasets=datasets, rate_limit_per_s=0)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, SimServer]]:
    with (
        serve(_config(FIXTURES, "multi")) as multi,
        serve(_config(FIXTURES, "nba")) as nba,
        serve(_config(FIXTURES, "econ")) as econ,
    ):
        yield {"multi": multi, "nba": nba, "econ": econ}


def _get(server: SimServer, path: str, **params: Any) -> Any:
    r = httpx.get(server.base_url + path, params=params, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _all(server: SimServer, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(1000):
        page = _get(server, path, cursor=cursor, **params)
        out += page[key]
        cursor = page["cursor"]
        if not cursor:
            return out
    raise AssertionError("cursor never ended")


def _cutoff(server: SimServer) -> float:
    return unix(_get(server, "/historical/cutoff")["market_settled_ts"])


# --- markets ----------------------------------------------------------------------------------


def test_markets_carry_recorded_status_close_result_and_settlement(
    servers: dict[str, SimServer],
) -> None:
    server, rec = servers["multi"], read_recording("multi")
    live = _all(server, "/markets", "markets", limit=4)
    hist = _all(server, "/historical/markets", "markets", limit=4)
    served = {m["ticker"]: m for m in live + hist}
    assert len(served) == len(live) + len(hist) == len(rec.markets)
    for ticker, f in rec.markets.items():
        m = served[ticker]
        assert m["status"] == f.status
        assert m["result"] == f.result
        assert m["close_time"] == f.close_time  # the file's text, to the microsecond
        assert Decimal(m["settlement_value_dollars"]) == f.settlement_value
        assert Decimal(m["volume_fp"]) == f.volume
        assert Decimal(m["last_price_dollars"]) == f.last_price
        assert m["yes_bid_dollars"] == "0.0000"
        assert m["yes_ask_dollars"] == "1.0000"
        assert (m["settlement_ts"] is not None) == (f.status == "finalized")
        # not recorded: the close may have come early, so no client may take it as scheduled
        assert m["can_close_early"] is True
    quirk = served["KXETHD-25NOV0911-T3519.99"]
    assert (quirk["last_price_dollars"], quirk["result"]) == ("0.9800", "no")
    assert {m["status"] for m in hist} == {"finalized"}
    assert {"finalized", "determined"} == {m["status"] for m in live}


def test_cutoff_splits_markets_between_the_families(servers: dict[str, SimServer]) -> None:
    server = servers["multi"]
    cutoff = _cutoff(server)
    hist = _all(server, "/historical/markets", "markets")
    live = _all(server, "/markets", "markets")
    assert hist
    assert live
    assert all(unix(m["settlement_ts"]) < cutoff for m in hist)
    assert all(m["settlement_ts"] is None or unix(m["settlement_ts"]) >= cutoff for m in live)
    h, lv = hist[0]["ticker"], live[0]["ticker"]
    assert _get(server, f"/historical/markets/{h}")["market"]["ticker"] == h
    assert _get(server, f"/markets/{lv}")["market"]["ticker"] == lv
    for path in (f"/markets/{h}", f"/historical/markets/{lv}", "/markets/NOPE-1"):
        r = httpx.get(server.base_url + path, timeout=30)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"


def test_books_are_empty_on_both_orderbook_endpoints(servers: dict[str, SimServer]) -> None:
    """Every recorded market is past its close: nothing rests on either side. The recorded app
    serves the synthetic one's route table, the batch endpoint and its checks included."""
    server = servers["multi"]
    live = [m["ticker"] for m in _all(server, "/markets", "markets")]
    hist = _all(server, "/historical/markets", "markets")[0]["ticker"]
    empty = {"yes_dollars": [], "no_dollars": []}
    assert _get(server, f"/markets/{live[0]}/orderbook") == {"orderbook_fp": empty}
    books = _get(server, "/markets/orderbooks", tickers=",".join(live[:2]))["orderbooks"]
    assert books == [{"ticker": t, "orderbook_fp": empty} for t in live[:2]]
    for path, params in (
        (f"/markets/{hist}/orderbook", {}),
        ("/markets/orderbooks", {"tickers": hist}),
        (f"/markets/{live[0]}/orderbook", {"depth": "abc"}),
        ("/markets/orderbooks", {}),
    ):
        r = httpx.get(server.base_url + path, params=params, timeout=30)
        assert r.status_code == (404 if hist in path + str(params) else 400), (path, r.text)


def test_market_filters(servers: dict[str, SimServer]) -> None:
    server = servers["multi"]
    settled = _all(server, "/markets", "markets", status="settled")
    closed = _all(server, "/markets", "markets", status="closed")
    assert {m["status"] for m in settled} == {"finalized"}
    assert {m["status"] for m in closed} == {"determined"}
    everything = _all(server, "/markets", "markets")
    assert len(settled) + len(closed) == len(everything)
    assert _all(server, "/markets", "markets", status="open") == []
    eth = _all(server, "/markets", "markets", series_ticker="KXETHD")
    assert {m["ticker"] for m in eth} == {
        m["ticker"] for m in everything if m["ticker"].startswith("KXETHD-")
    }
    event = _all(server, "/markets", "markets", event_ticker="KXETHD-25NOV0911")
    assert {m["event_ticker"] for m in event} == {"KXETHD-25NOV0911"}
    lo = int(unix("2025-11-09T16:00:00Z"))
    after = _all(server, "/markets", "markets", min_close_ts=lo)
    assert after
    assert all(unix(m["close_time"]) > lo for m in after)
    r = httpx.get(server.base_url + "/markets", params={"status": "gone"}, timeout=30)
    assert r.status_code == 400


def test_inferred_results_say_so_and_missing_ones_are_not_made_up(
    servers: dict[str, SimServer], tmp_path: Path
) -> None:
    rec = read_recording("nba")
    markets = _all(servers["nba"], "/markets", "markets") + _all(
        servers["nba"], "/historical/markets", "markets"
    )
    assert {m["ticker"]: m["result"] for m in markets} == {
        t: f.result for t, f in rec.markets.items()
    }
    for m in markets:
        assert m["status"] == "finalized"
        assert "INFERRED" in m["rules_primary"]
    # a market the results file could not infer is served closed, without a result
    shutil.copy(FIXTURES / "nba_candles_1m.csv", tmp_path)
    lines = (FIXTURES / "nba_results_inferred.csv").read_text().splitlines()
    cols = lines[1].split(",")
    blank = cols[0]
    cols[5] = ""
    edited = [lines[0], ",".join(cols), *lines[2:]]
    (tmp_path / "nba_results_inferred.csv").write_text("\n".join(edited) + "\n")
    with serve(_config(tmp_path, "nba")) as server:
        m = _get(server, f"/markets/{blank}")["market"]
        assert (m["status"], m["result"], m["settlement_value_dollars"]) == ("closed", "", None)
        assert m["settlement_ts"] is None
        others = {x["ticker"]: x for x in _all(server, "/historical/markets", "markets")}
        others |= {x["ticker"]: x for x in _all(server, "/markets", "markets")}
        assert {t for t, x in others.items() if x["result"]} == set(rec.markets) - {blank}


def test_econ_markets_have_no_outcome(servers: dict[str, SimServer]) -> None:
    rec = read_recording("econ")
    markets = _all(servers["econ"], "/markets", "markets")
    assert {m["ticker"] for m in markets} == set(rec.markets)
    assert {(m["status"], m["result"], m["settlement_value_dollars"]) for m in markets} == {
        ("closed", "", None)
    }
    contracts = rec.contracts()
    assert {m["ticker"]: Decimal(m["volume_fp"]) for m in markets} == contracts


def test_events_and_series(servers: dict[str, SimServer]) -> None:
    server, rec = servers["multi"], read_recording("multi")
    events = _all(server, "/events", "events", limit=3)
    assert {e["event_ticker"] for e in events} == rec.events
    assert all(e["markets"] is None for e in events)
    one = _get(server, "/events/KXETHD-25NOV0911", with_nested_markets="true")
    assert one["event"]["series_ticker"] == "KXETHD"
    assert {m["ticker"] for m in one["markets"]} == {
        t for t in rec.markets if t.startswith("KXETHD-25NOV0911-")
    }
    assert _get(server, "/series/KXETHD")["series"]["ticker"] == "KXETHD"
    assert {s["ticker"] for s in _get(server, "/series")["series"]} == {
        t.split("-")[0] for t in rec.markets
    }
    r = httpx.post(server.root_url + "/_sim/clock", json={"sim_ts": 0}, timeout=30)
    assert r.status_code == 400


# --- trades -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["multi", "econ"])
def test_trades_are_the_recorded_tape_split_at_the_cutoff(
    servers: dict[str, SimServer], dataset: str
) -> None:
    server, rec = servers[dataset], read_recording(dataset)
    cutoff = _cutoff(server)
    live = _all(server, "/markets/trades", "trades", limit=37)
    hist = _all(server, "/historical/trades", "trades", limit=37)
    assert live
    assert hist
    assert all(unix(t["created_time"]) >= cutoff for t in live)
    assert all(unix(t["created_time"]) < cutoff for t in hist)
    served = {t["trade_id"]: t for t in live + hist}
    assert len(served) == len(live) + len(hist) == len(rec.trades)
    for f in rec.trades:
        t = served[f.trade_id]
        assert t["ticker"] == f.ticker
        assert unix(t["created_time"]) == unix(f.created_time)
        assert Decimal(t["yes_price_dollars"]) == f.price
        assert Decimal(t["no_price_dollars"]) == 1 - f.price
        assert Decimal(t["count_fp"]) == f.count
        assert t["taker_side"] == t["taker_outcome_side"] == f.taker_side
    for page in (live, hist):
        keys = [(unix(t["created_time"]), t["ticker"]) for t in page]
        assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)


def test_trade_filters(servers: dict[str, SimServer]) -> None:
    server, rec = servers["multi"], read_recording("multi")
    ticker = "KXALEAGUEGAME-25NOV09BRRNUJ-NUJ"
    mine = rec.trades_by_market()[ticker]
    got = _all(server, "/markets/trades", "trades", ticker=ticker, limit=50)
    got += _all(server, "/historical/trades", "trades", ticker=ticker, limit=50)
    assert sorted(t["trade_id"] for t in got) == sorted(t.trade_id for t in mine)
    # printed after its close_time: still its trades
    close = unix(rec.markets[ticker].close_time or "")
    assert any(unix(t["created_time"]) > close for t in got)
    lo, hi = int(unix("2025-11-09T07:00:00Z")), int(unix("2025-11-09T07:30:00Z"))
    window = _all(server, "/markets/trades", "trades", ticker=ticker, min_ts=lo, max_ts=hi)
    expected = {t.trade_id for t in mine if lo <= unix(t.created_time) <= hi}
    assert expected
    assert {t["trade_id"] for t in window} == expected
    assert _get(server, "/markets/trades", ticker="NOPE-1") == {"trades": [], "cursor": ""}
    r = httpx.get(server.base_url + "/markets/trades", params={"cursor": "zz"}, timeout=30)
    assert r.status_code == 400


# --- candlesticks -----------------------------------------------------------------------------


def _minute_buckets(rec: Recording, ticker: str, period_s: int) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for t in sorted(rec.trades_by_market()[ticker], key=lambda x: x.when):
        end = -(-int(t.when.timestamp() * 1_000_000) // (period_s * 1_000_000)) * period_s
        out[end].append(t)
    return out


@pytest.mark.parametrize("period", [1, 60])
def test_candles_from_trades_without_quotes(servers: dict[str, SimServer], period: int) -> None:
    server, rec = servers["multi"], read_recording("multi")
    ticker = "KXETHD-25NOV0911-T3519.99"
    lo, hi = int(unix("2025-11-09T14:00:00Z")), int(unix("2025-11-09T17:00:00Z"))
    body = _get(
        server,
        f"/series/KXETHD/markets/{ticker}/candlesticks",
        start_ts=lo,
        end_ts=hi,
        period_interval=period,
    )
    buckets = _minute_buckets(rec, ticker, period * 60)
    assert [c["end_period_ts"] for c in body["candlesticks"]] == sorted(buckets)
    previous = None
    for c in body["candlesticks"]:
        assert set(c) == {"end_period_ts", "price", "volume_fp"}  # no bid/ask, no OI
        trades = buckets[c["end_period_ts"]]
        prices = [t.price for t in trades]
        p = c["price"]
        assert Decimal(p["open_dollars"]) == prices[0]
        assert Decimal(p["close_dollars"]) == prices[-1]
        assert Decimal(p["high_dollars"]) == max(prices)
        assert Decimal(p["low_dollars"]) == min(prices)
        assert Decimal(c["volume_fp"]) == sum(t.count for t in trades)
        assert p["previous_dollars"] == previous
        previous = p["close_dollars"]


def test_recorded_minute_candles_on_both_endpoints(servers: dict[str, SimServer]) -> None:
    server, rec = servers["nba"], read_recording("nba")
    cutoff = _cutoff(server)
    hist = {m["ticker"] for m in _all(server, "/historical/markets", "markets")}
    assert hist
    assert hist != set(rec.candles)
    for ticker, rows in rec.candles.items():
        lo, hi = rows[0].end - 60, rows[-1].end
        params = {"start_ts": lo, "end_ts": hi, "period_interval": 1}
        if ticker in hist:
            assert (
                unix(_get(server, f"/historical/markets/{ticker}")["market"]["settlement_ts"])
                < cutoff
            )
            got = _get(server, f"/historical/markets/{ticker}/candlesticks", **params)
            price, volume = "price", "volume"
            names = {k: k for k in ("open", "high", "low", "close")}
        else:
            got = _get(server, "/markets/candlesticks", market_tickers=ticker, **params)
            got = got["markets"][0]
            price, volume = "price", "volume_fp"
            names = {k: f"{k}_dollars" for k in ("open", "high", "low", "close")}
        candles = got["candlesticks"]
        assert [c["end_period_ts"] for c in candles] == [r.end for r in rows]
        for c, r in zip(candles, rows, strict=True):
            assert "yes_bid" not in c
            assert "yes_ask" not in c
            assert Decimal(c[volume]) == r.volume
            for k, key in names.items():
                assert Decimal(c[price][key]) == getattr(r, k)
        hourly = _get(
            server,
            f"/historical/markets/{ticker}/candlesticks"
            if ticker in hist
            else f"/series/KXNBAGAME/markets/{ticker}/candlesticks",
            start_ts=lo,
            end_ts=hi + 3600,
            period_interval=60,
        )["candlesticks"]
        assert sum(Decimal(c[volume]) for c in hourly) == sum(r.volume for r in rows)
    live = next(t for t in rec.candles if t not in hist)
    old = next(iter(hist))
    resp = httpx.get(
        server.base_url + "/markets/candlesticks",
        params={
            "market_tickers": f"{live},{old}",
            "start_ts": 0,
            "end_ts": 60,
            "period_interval": 1,
        },
        timeout=30,
    )
    assert resp.status_code == 404  # a historical market is not served by the live batch


# --- files ------------------------------------------------------------------------------------


def test_fixture_loads_every_row() -> None:
    data = load_recorded(FIXTURES)
    assert data.datasets == ("multi", "nba", "econ")
    multi, econ, nba = (read_recording(d) for d in ("multi", "econ", "nba"))
    assert data.tape.size == len(multi.trades) + len(econ.trades)
    assert len(data.markets) == len(multi.markets) + len(econ.markets) + len(nba.markets)
    assert sum(len(c.end_s) for c in data.candles.values()) == sum(
        len(v) for v in nba.candles.values()
    )


def _copy(tmp_path: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


_MULTI = (
    "multi_closed_markets.csv",
    "multi_enriched_markets.csv",
    "multi_events.csv",
    "multi_trades.csv",
)


def _edit(path: Path, line: int, column: str, value: str | None) -> None:
    """Set (or, with None, drop from the header) one CSV cell; lines count from 1."""
    rows = [r.split(",") for r in path.read_text().splitlines()]
    j = rows[0].index(column)
    if value is None:
        rows = [r[:j] + r[j + 1 :] for r in rows]
    else:
        rows[line - 1][j] = value
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")


@pytest.mark.parametrize(
    ("name", "line", "column", "value", "message"),
    [
        ("multi_trades.csv", 1, "price", None, r"multi_trades.csv:1: column 'price': missing"),
        ("multi_trades.csv", 5, "price", "0.9x", r"multi_trades.csv:5: column 'price': not a"),
        ("multi_trades.csv", 9, "price", "1.50", r"multi_trades.csv:9: column 'price': .*outside"),
        ("multi_trades.csv", 3, "count", "2.505", r"multi_trades.csv:3: column 'count': .*finer"),
        (
            "multi_trades.csv",
            7,
            "created_time",
            "2025-11-09 05:54:39",
            r"multi_trades.csv:7: column 'created_time': time without a timezone",
        ),
        ("multi_trades.csv", 4, "taker_side", "maybe", r":4: column 'taker_side'"),
        (
            "multi_closed_markets.csv",
            2,
            "settlement_value",
            "100",
            r"multi_closed_markets.csv:2: column 'settlement_value': '100' cents does not pay",
        ),
        ("multi_closed_markets.csv", 3, "status", "done", r"closed_markets.csv:3: column 'status'"),
        (
            "multi_enriched_markets.csv",
            4,
            "result",
            "yes",
            r"multi_enriched_markets.csv:4: column 'result': .* disagrees with",
        ),
        ("multi_events.csv", 1, "series_ticker", None, r"multi_events.csv:1: column 'series_"),
    ],
)
def test_a_bad_file_is_refused_naming_file_line_and_column(
    tmp_path: Path, name: str, line: int, column: str, value: str | None, message: str
) -> None:
    root = _copy(tmp_path, *_MULTI)
    _edit(root / name, line, column, value)
    with pytest.raises(RecordedDataError, match=message):
        load_recorded(root)


def test_gzipped_files_and_duplicate_trades(tmp_path: Path) -> None:
    root = _copy(tmp_path, *_MULTI)
    trades = root / "multi_trades.csv"
    lines = trades.read_text().splitlines()
    with gzip.open(root / "multi_trades.csv.gz", "wt") as fh:
        fh.write("\n".join([*lines, lines[3]]) + "\n")
    trades.unlink()
    with pytest.raises(RecordedDataError, match=r"multi_trades.csv.gz:\d+: column 'trade_id'.*:4"):
        load_recorded(root)
    with gzip.open(root / "multi_trades.csv.gz", "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    assert load_recorded(root).tape.size == len(lines) - 1


def test_missing_files_and_unknown_data_sets(tmp_path: Path) -> None:
    with pytest.raises(RecordedDataError, match="no recorded data set here"):
        load_recorded(tmp_path)
    _copy(tmp_path, *_MULTI[:2])
    with pytest.raises(RecordedDataError, match=r"needs multi_events\.csv"):
        load_recorded(tmp_path)
    with pytest.raises(RecordedDataError, match="unknown data set 'crypto'"):
        load_recorded(tmp_path, ["crypto"])


def test_cli_recorded_flags() -> None:
    cfg = parse_args(["--recorded", str(FIXTURES), "--dataset", "nba", "--cutoff", "2025-04-22"])
    assert cfg.recorded_dir == FIXTURES
    assert cfg.recorded_datasets == ("nba",)
    assert cfg.recorded_cutoff is not None
    assert cfg.recorded_cutoff.isoformat().startswith("2025")
    for bad in (
        ["--dataset", "nba"],
        ["--recorded", str(FIXTURES), "--legacy-format"],
        ["--recorded", str(FIXTURES), "--replay", "x.csv"],
        ["--recorded", str(FIXTURES), "--start-time", "2025-01-01"],
    ):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_cli_refuses_a_bad_file_naming_it(tmp_path: Path) -> None:
    root = _copy(tmp_path, *_MULTI)
    _edit(root / "multi_trades.csv", 1, "price", None)
    with pytest.raises(SystemExit, match=r"multi_trades\.csv:1: column 'price': missing"):
        main(["--recorded", str(root), "--port", "0"])
