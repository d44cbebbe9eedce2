"""Contract: `kalshi_sim.calibration` measures exactly what docs/SIMULATOR.md says it does.

Hand-made tapes, candles and quote snapshots with every figure computed by hand: intervals are
counted over each market's active life (first print to last), quantiles are nearest-rank,
spreads are in cents, and the readers parse the recorded layouts (dollars or cents, gzip or
not) into the same shapes.
"""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from kalshi_sim import calibration as cal

T0 = 1_762_000_000.0  # any epoch second: the measures only use differences


def tape(ticker: str, offsets: list[float], counts: list[int]) -> cal.Tape:
    return cal.Tape(ticker, T0 + np.asarray(offsets, np.float64), np.asarray(counts, np.int64))


# A: prints at +0, +1, +4, +16, +16 (one taker order filling two makers), +61 seconds.
# B: a single print. C: no print at all (no active life: skipped).
A = tape("KXA-1", [0, 1, 4, 16, 16, 61], [1, 8, 40, 150, 3, 2])
B = tape("KXB-1", [100], [1000])
C = tape("KXC-1", [], [])


def test_interval_activity_counts_intervals_over_the_active_life() -> None:
    # 5 s: A's offsets fall in intervals 0,0,0,3,3,12 -> 13 intervals, 3 active (3, 2, 1 prints);
    # B: 1 interval, active -> 14 intervals, 4 active; prints per active [3, 2, 1, 1].
    five = cal.interval_activity([A, B, C], 5)
    assert (five.markets, five.intervals, five.active) == (2, 14, 4)
    assert five.share == 4 / 14
    assert five.per_active == (1, 3, 3)  # nearest rank of [1, 1, 2, 3] at 0.5, 0.9, 0.99
    assert five.mean_per_active == 7 / 4
    # 15 s: A in 0,0,0,1,1,4 -> 5 intervals, 3 active; B 1 -> 6 intervals, 4 active.
    fifteen = cal.interval_activity([A, B, C], 15)
    assert (fifteen.intervals, fifteen.active) == (6, 4)
    # 60 s: A in 0,0,0,0,0,1 -> 2 intervals, both active (5 and 1 prints); B 1.
    sixty = cal.interval_activity([A, B, C], 60)
    assert (sixty.intervals, sixty.active, sixty.share) == (3, 3, 1.0)
    assert sixty.per_active == (1, 5, 5)
    empty = cal.interval_activity([C], 15)
    assert (empty.markets, empty.intervals, empty.share) == (0, 0, 0.0)


def test_print_sizes_shared_instants_and_skew() -> None:
    # sizes sorted: 1, 2, 3, 8, 40, 150, 1000 (n = 7); nearest rank ceil(q n) - 1
    assert cal.print_sizes([A, B, C]) == (1, 2, 8, 150, 1000, 1000)
    assert cal.mean_print_size([A, B]) == 1204 / 7
    assert cal.shared_instant_share([A, B, C]) == 2 / 7  # the two prints at +16 s
    assert cal.activity_skew([6, 1, 0]) == 6 / 7  # ceil(0.1 x 3) = 1 market
    assert cal.activity_skew([5] * 9 + [55]) == 55 / 100
    assert cal.activity_skew([10] * 10 + [1]) == 20 / 101  # 11 markets: the top 2
    assert cal.activity_skew([]) == 0.0
    assert cal.untraded_share([0, 5, 0, 1]) == 0.5


def test_quantiles_are_nearest_rank() -> None:
    assert cal.quantiles([3, 1, 2, 4], (0.25, 0.5, 0.75, 1.0)) == (1, 2, 3, 4)
    assert cal.quantiles([Decimal("0.1"), Decimal(2)], (0.5,)) == (Decimal("0.1"),)
    with pytest.raises(ValueError, match="no values"):
        cal.quantiles([], (0.5,))


def test_tape_refuses_unordered_times() -> None:
    with pytest.raises(ValueError, match="ascending"):
        tape("KXA-1", [5, 1], [1, 1])
    with pytest.raises(ValueError, match="counts"):
        cal.Tape("KXA-1", np.zeros(2), np.zeros(1, np.int64))


def test_minute_bars_and_traded_minutes() -> None:
    bars = cal.minute_bars(cal.Tape("KXA-1", np.asarray([59.9, 60.0, 61.0, 130.0]),
                                    np.asarray([1, 2, 3, 4])))  # fmt: skip
    assert bars.minutes.tolist() == [0, 60, 120]
    assert bars.volumes.tolist() == [1, 5, 4]
    m1 = cal.MinuteBars("KXN-1", np.asarray([0, 60, 300]), np.asarray([5, 10, 1]))
    m2 = cal.MinuteBars("KXN-2", np.asarray([120]), np.asarray([7]))
    act = cal.traded_minute_share([m1, m2])
    # m1 lives 6 minutes (0..300 s), trades in 3; m2 lives 1, trades in 1
    assert (act.markets, act.intervals, act.active) == (2, 7, 4)
    assert act.per_active == (1, 1, 5, 7, 10, 10)  # volumes 1, 5, 7, 10
    assert act.mean_per_active == 23 / 4


def test_quote_changes_spreads_sizes_and_book_values() -> None:
    s1 = cal.QuoteSeries(
        "KXH-1",
        np.asarray([0.0, 60.0, 120.0, 180.0]),
        np.asarray([100, 100, 200, 200]),
        np.asarray([300, 300, 300, 400]),
        np.asarray([5, 6, 7, 8]),
        np.asarray([9, 9, 9, 9]),
        (Decimal("10.5"), Decimal(20), Decimal(30), Decimal(40)),
        np.asarray([10, 10, 12, 12]),
    )
    # decided market: no bid (0), ask 1 cent; and a deci-cent book (0.1 cent wide)
    s2 = cal.QuoteSeries("KXH-2", np.asarray([0.0, 60.0]), np.asarray([0, 0]),
                         np.asarray([100, 100]))  # fmt: skip
    s3 = cal.QuoteSeries("KXH-3", np.asarray([0.0]), np.asarray([9500]), np.asarray([9510]))
    ch = cal.quote_changes([s1, s2, s3])
    assert (ch.pairs, ch.changed) == (4, 2)  # bid moved 60->120, ask moved 120->180
    vol = cal.volume_changes([s1, s2, s3])
    assert (vol.pairs, vol.changed, vol.share) == (3, 1, 1 / 3)
    spreads = cal.spreads_cents([s1, s2, s3])
    assert spreads == [Decimal(2), Decimal(2), Decimal(1), Decimal(2), Decimal("0.1")]
    shares = cal.spread_shares(spreads, upto=2)
    assert shares == {"1c": 2 / 5, "2c": 3 / 5, ">2c": 0.0}
    assert cal.top_sizes([s1, s2]) == [5, 6, 7, 8, 9, 9, 9, 9]
    assert cal.book_values([s1, s2]) == [Decimal("10.5"), Decimal(20), Decimal(30), Decimal(40)]


def _write(path: Path, text: str) -> Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


def test_readers_parse_the_recorded_layouts(tmp_path: Path) -> None:
    multi = _write(
        tmp_path / "multi_trades.csv.gz",
        "ticker,created_time,price,count,taker_side,trade_id\n"
        "KXA-1,2025-11-09T05:54:39.5Z,0.99,279,no,b\n"
        "KXA-1,2025-11-09T05:54:08.25Z,0.99,27,no,a\n"
        "KXB-1,2025-11-09T05:00:00Z,0.40,3,yes,c\n",
    )
    tapes = cal.read_tapes(multi)
    assert [t.ticker for t in tapes] == ["KXA-1", "KXB-1"]
    assert tapes[0].counts.tolist() == [27, 279]  # sorted by time
    assert tapes[0].times[1] - tapes[0].times[0] == pytest.approx(31.25)
    econ = _write(
        tmp_path / "econ_trades.csv",
        "dataset,trade_id,ticker,count,created_time,yes_price,no_price,taker_side\n"
        "cpi,x,CPI-22DEC-T5.0,30,2022-12-25T13:08:27.703722Z,61,39,yes\n",
    )
    (e,) = cal.read_tapes(econ)
    assert (e.ticker, e.counts.tolist()) == ("CPI-22DEC-T5.0", [30])
    assert e.times[0] == pytest.approx(1671973707.703722)
    candles = _write(
        tmp_path / "nba_candles_1m.csv",
        "game_id,ticker,timestamp,datetime,open,high,low,close,volume\n"
        "1,KXNBAGAME-X-OKC,1761005580,2025-10-21 00:13:00,71,71,71,71,65\n"
        "1,KXNBAGAME-X-OKC,1761005280,2025-10-21 00:08:00,72,72,72,72,100\n",
    )
    (bars,) = cal.read_minute_bars(candles)
    assert (bars.minutes.tolist(), bars.volumes.tolist()) == ([1761005280, 1761005580], [100, 65])
    closed = _write(
        tmp_path / "multi_closed_markets.csv",
        "ticker,event_ticker,category,normalized_status,status,close_time,volume,last_price,"
        "result,settlement_value\nKXA-1,KXA,Sports,closed,determined,2025-11-09T18:10:00Z,0,0,no,0\n",
    )
    assert cal.read_market_volumes(closed) == {"KXA-1": 0}
    quotes = _write(
        tmp_path / "snapshots.csv",
        "timestamp,ticker,yes_bid,yes_ask,no_bid,no_ask,last_price,open_interest,volume,liquidity\n"
        "2025-11-24T23:06:38+00:00,KXH-1,31,32,68,69,32,1673,2123,773725\n"
        "2025-11-24T23:05:38+00:00,KXH-1,32,33,67,68,33,1653,2103,340730\n",
    )
    (q,) = cal.read_quote_snapshots(quotes)
    assert (q.bid.tolist(), q.ask.tolist()) == ([3200, 3100], [3300, 3200])
    assert q.volume is not None
    assert q.volume.tolist() == [2103, 2123]
    assert q.book_value == (Decimal("3407.30"), Decimal("7737.25"))
    assert q.bid_size is None  # the recorded sample has no resting sizes


def test_real_tickers_map_to_simulator_kinds() -> None:
    kinds = {
        "KXBTCD-25NOV0912-T101999.99": "crypto_threshold",
        "KXBTC-25NOV0909-B102375": "crypto_range",
        "KXSHIBAD-25NOV0917-T0.0000095": "crypto_threshold",
        "KXATPMATCH-25NOV08DJOMUS-DJO": "game",
        "KXCS2MAP-FALFUR25-FUR": "game",
        "KXNCAAMBTOTAL-25NOV08UMBCGTWN-150": "total",
        "KXNBASPREAD-25NOV08LALATL-LAL5": "spread",
        "CPICOREYOY-22DEC-T5.0": "economics",
        "PROLLS-23JAN-T200": "economics",
        "RECSSNBER-23": "economics",
        "KXHIGHNY-25NOV24-B49.5": "weather",
        "KXNFLANYTD-25NOV09NETB-NOTD": "other",
    }
    assert {t: cal.real_kind(t) for t in kinds} == kinds
    assert cal.template_kind("Crypto", "thresholds", "KX{code}D") == "crypto_threshold"
    assert cal.template_kind("Sports", "game2", "KX{code}GAME") == "game"
    assert cal.template_kind("Economics", "brackets", "KX{code}") == "economics"
