"""Contract: on trade-only history (no book) an order fills only at a print made after its
signal, on its side of the book: a buy at a YES-taker print (the ask was there), a sale at a
NO-taker print (the bid was there), at that print's price, for at most the contracts printed
(the bar's first print; the worst price of a sweep sharing that moment), never at a price
nobody traded, never in the signal's own bar, never after the order's wait ran out. Signals
see the last print; positions are valued at the last NO-taker print. Candles of trade prices
are refused for fills, pointing to the trade tape. Worked cases run through the vectorbt
engine and the reference simulator (which reads the prints itself); loading the tape through
PostgreSQL and the Dagster asset with ``source="trades"`` give the same rule."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from backtest.builders import T0, at, make_quotes, signals, tape_frame
from kalshi_core.backtest.engine import backtest_signals, run_kernel
from kalshi_core.backtest.loading import load_quotes
from kalshi_core.backtest.quotes import (
    MarketMeta,
    QuoteArrays,
    QuoteDataError,
    candle_frame_to_snapshot_frame,
    quotes_from_trades,
)
from kalshi_core.backtest.reference import simulate_reference
from kalshi_core.backtest.strategies import Signals, get_strategy
from kalshi_core.models import BacktestResult, Event, Market, MarketSnapshot, Series, Trade
from kalshi_core.storage.database import Database, Repositories, repositories
from kalshi_pipeline.defs.backtests.assets import build_backtest_asset
from kalshi_pipeline.defs.resources import WorkbenchDatabase

D = Decimal
TICKER = "KXTAPE-A"
N_BARS = 10


def tape(
    *prints: tuple[float, str, str, str | None] | tuple[float, str, str, str, bool],
) -> list[Trade]:
    """Prints as (seconds after T0, YES price, contracts, taker side[, block trade])."""
    out = []
    for k, p in enumerate(prints):
        out.append(
            Trade(
                trade_id=f"t{k}",
                ticker=TICKER,
                created_time=T0 + timedelta(seconds=p[0]),
                yes_price=D(p[1]),
                count=D(p[2]),
                taker_side=p[3],
                is_block_trade=bool(p[4]) if len(p) > 4 else False,
            )
        )
    return out


def gridded(trades: list[Trade], wait: int = 5, meta: MarketMeta | None = None) -> QuoteArrays:
    return quotes_from_trades(
        tape_frame(trades),
        [meta or MarketMeta(ticker=TICKER)],
        start=T0,
        end=at(N_BARS),
        staleness="3min",
        max_wait_bars=wait,
    )


def entry_at(bar: int, exit_bar: int | None = None, contracts: str = "10") -> Signals:
    entries = [0] * N_BARS
    entries[bar] = 1
    exits = [0] * N_BARS
    if exit_bar is not None:
        exits[exit_bar] = 1
    return signals(entries, exits, contracts=contracts)


def run(q: QuoteArrays, sig: Signals, trades: list[Trade], delay: int = 1) -> BacktestResult:
    """The engine's result, held to the reference simulator reading the tape itself."""
    res = backtest_signals(q, sig, fill_delay_bars=delay, sharpe_freq="1min")
    ref = simulate_reference(q, sig, fill_delay_bars=delay, trades=trades)
    assert res.total_pnl == ref.total_pnl
    assert [(t.entry_price, t.contracts, t.exit_reason) for t in res.trades] == [
        (t.entry_price, t.contracts, t.exit_reason) for t in ref.trades
    ]
    return res


# Bar k is grid time T0 + k min and holds the prints of (k - 1 min, k min].


def test_buy_fills_at_the_next_yes_taker_print_not_at_a_no_taker_print_or_between() -> None:
    trades = tape(
        (30, "0.40", "20", "yes"),  # bar 1: the signal's own bar, before the order exists
        (130, "0.42", "20", "no"),  # bar 3: a sale hit the bid, no ask shown
        (150, "0.43", "20", None),  # bar 3: side unknown
        (170, "0.41", "20", "yes", True),  # bar 3: a block trade, off the book
        (200, "0.46", "20", "yes"),  # bar 4: the first YES-taker print after the signal
        (230, "0.44", "20", "yes"),  # bar 4, later: not the first
    )
    q = gridded(trades)
    res = run(q, entry_at(1), trades)
    (trade,) = res.trades
    assert trade.entry_time == at(4)
    assert trade.entry_price == D("0.46")
    assert trade.contracts == D(10)
    assert res.data_source == "trades"
    assert res.universe["max_wait_bars"] == 5


def test_first_moment_of_the_bar_and_the_worst_price_of_its_sweep() -> None:
    trades = tape(
        (70, "0.50", "4", "yes"),  # one sweep at 70 s: 0.50, then 0.52 from two makers
        (70, "0.52", "2", "yes"),
        (70, "0.52", "1", "yes"),
        (90, "0.49", "100", "yes"),  # a better price later in the bar is not the first print
        (100, "0.55", "50", "yes"),  # nor is a worse one
    )
    q = gridded(trades)
    assert q.fill_ask[2, 0] == 0.52
    assert q.fill_ask_size[2, 0] == 3  # the contracts printed at 0.52 at that moment
    (trade,) = run(q, entry_at(1), trades).trades
    assert (trade.entry_time, trade.entry_price, trade.contracts) == (at(2), D("0.52"), D(3))


def test_an_order_of_ten_against_a_print_of_three_fills_three_and_the_rest_lapses() -> None:
    trades = tape((90, "0.30", "3", "yes"), (150, "0.31", "50", "yes"))
    q = gridded(trades)
    res = run(q, entry_at(1), trades)
    (trade,) = res.trades  # no second entry fill at bar 3: one entry fill per position
    assert (trade.entry_time, trade.entry_price, trade.contracts) == (at(2), D("0.30"), D(3))
    assert trade.fees == D("0.05")  # ceil(0.07 * 3 * 0.30 * 0.70 = 0.0441)


def test_no_print_after_the_signal_means_no_fill() -> None:
    before = tape((10, "0.40", "20", "yes"), (100, "0.40", "20", "yes"))  # bars 1 and 2
    assert run(gridded(before), entry_at(2), before).trades == []  # signal at bar 2
    late = tape((330, "0.40", "20", "yes"))  # bar 6: after bars 2..4, the order's life
    assert run(gridded(late, wait=2), entry_at(1), late).trades == []
    assert len(run(gridded(late, wait=4), entry_at(1), late).trades) == 1


def test_a_sale_fills_only_at_no_taker_prints_while_its_order_lives() -> None:
    trades = tape(
        (90, "0.50", "10", "yes"),  # bar 2: buy 10 at 0.50
        (210, "0.60", "10", "yes"),  # bar 4: a buyer's print, nothing to sell into
        (270, "0.58", "4", "no"),  # bar 5: sell 4 at 0.58
        (330, "0.57", "20", "no"),  # bar 6: sell the other 6 at 0.57
    )
    q = gridded(trades)
    res = run(q, entry_at(1, exit_bar=3), trades)
    (trade,) = res.trades
    assert trade.exit_reason == "signal"
    assert trade.exit_time == at(6)
    assert trade.exit_price == D("0.574")  # (4 x 0.58 + 6 x 0.57) / 10
    assert trade.entry_price == D("0.50")
    # entry ceil(0.07*10*.5*.5)=0.18; exits ceil(0.07*4*.58*.42)=0.07, ceil(0.07*6*.57*.43)=0.11
    assert trade.fees == D("0.36")
    assert trade.pnl == D("0.38")  # 5.74 - 5.00 - 0.36


def test_round_trip_with_fees() -> None:
    trades = tape((90, "0.45", "10", "yes"), (250, "0.60", "30", "no"))
    q = gridded(trades)
    res = run(q, entry_at(1, exit_bar=3), trades)
    (trade,) = res.trades
    assert (trade.entry_price, trade.exit_price) == (D("0.45"), D("0.60"))
    assert res.fees_paid == D("0.35")  # 0.18 (0.17325 up) + 0.17 (0.168 up)
    assert res.total_pnl == D("1.15")  # 10 x 0.15 - 0.35
    assert res.exit_pnl == D("1.5")


def test_open_position_is_valued_at_the_last_no_taker_print() -> None:
    trades = tape((90, "0.45", "10", "yes"), (150, "0.40", "5", "no"), (200, "0.70", "5", "yes"))
    q = gridded(trades)
    np.testing.assert_array_equal(q.mark[:, 0], [np.nan] * 3 + [0.40] * 7)
    res = run(q, entry_at(1), trades)
    (trade,) = res.trades
    assert trade.exit_reason == "end_of_data"
    assert trade.exit_price == D("0.40")  # not the later 0.70 a buyer paid


def test_signals_see_the_last_print_fills_see_prints_only() -> None:
    trades = tape((30, "0.40", "5", "yes"), (150, "0.38", "5", "no"))
    q = gridded(trades)  # staleness 3 min
    # the 0.38 print (150 s) is 3.5 min old at bar 6: too old for a signal
    last = [np.nan, 0.40, 0.40, 0.38, 0.38, 0.38, np.nan, np.nan, np.nan, np.nan]
    np.testing.assert_array_equal(q.mid()[:, 0], last)
    np.testing.assert_array_equal(q.ask[:, 0], last)
    np.testing.assert_array_equal(q.fill_ask[:, 0], [np.nan, 0.40, *[np.nan] * 8])
    np.testing.assert_array_equal(q.fill_bid[:, 0], [*[np.nan] * 3, 0.38, *[np.nan] * 6])
    assert q.sizes_capped


def test_a_print_on_a_grid_time_belongs_to_that_bar() -> None:
    trades = tape((120, "0.40", "5", "yes"))  # exactly at bar 2's grid time
    q = gridded(trades)
    assert q.fill_ask[2, 0] == 0.40
    assert np.isnan(q.fill_ask[3, 0])


def test_trade_only_data_refuses_a_zero_fill_delay() -> None:
    trades = tape((30, "0.40", "5", "yes"))
    q = gridded(trades)
    with pytest.raises(ValueError, match="fill_delay_bars >= 1"):
        run_kernel(q, entry_at(1), fill_delay_bars=0)
    with pytest.raises(ValueError, match=">= 1"):
        simulate_reference(q, entry_at(1), fill_delay_bars=0, trades=trades)


def test_book_orders_wait_for_a_live_quote_within_their_wait() -> None:
    nan = float("nan")
    bid = [0.40, nan, 0.41, 0.42]
    ask = [0.44, nan, 0.45, 0.46]
    sig = signals([1, 0, 0, 0])
    dropped = make_quotes(bid, ask)  # max_wait_bars 0: the stale bar 1 drops the order
    assert backtest_signals(dropped, sig, sharpe_freq="1min").trades == []
    waiting = QuoteArrays(
        index=dropped.index, tickers=dropped.tickers, bid=dropped.bid, ask=dropped.ask,
        bid_size=dropped.bid_size, ask_size=dropped.ask_size, last=dropped.last,
        mark=dropped.mark, meta=dropped.meta, max_wait_bars=1,
    )  # fmt: skip
    (trade,) = backtest_signals(waiting, sig, sharpe_freq="1min").trades
    assert (trade.entry_time, trade.entry_price) == (at(2), D("0.45"))
    assert simulate_reference(waiting, sig, fill_delay_bars=1).fills[0].price == D("0.45")


@pytest.mark.parametrize(
    "frame",
    [
        # the NBA data set's shape: 1-minute OHLC of trade prices in cents
        pd.DataFrame(
            {
                "ticker": ["KXNBAGAME-X"],
                "timestamp": [1761005280],
                "open": [72.0],
                "high": [72.0],
                "low": [72.0],
                "close": [72.0],
                "volume": [100],
            }
        ),
        # Kalshi's price_* OHLC without the bid/ask closes
        pd.DataFrame({"ticker": ["A"], "end_time": [at(1)], "price_close": [0.72]}),
        # bid/ask columns present, empty on a row that only has a trade price
        pd.DataFrame(
            {
                "ticker": ["A", "A"],
                "end_time": [at(1), at(2)],
                "yes_bid_close": [0.70, np.nan],
                "yes_ask_close": [0.73, np.nan],
                "price_close": [np.nan, 0.72],
            }
        ),
    ],
)
def test_trade_price_candles_are_refused_pointing_to_the_trade_tape(frame: pd.DataFrame) -> None:
    with pytest.raises(QuoteDataError, match="source='trades'"):
        candle_frame_to_snapshot_frame(frame)


def test_candles_with_bid_and_ask_closes_still_fill() -> None:
    candles = pd.DataFrame(
        {
            "ticker": ["A", "A"],
            "end_time": [at(0), at(1)],
            "yes_bid_close": [0.70, 0.71],
            "yes_ask_close": [0.73, 0.74],
            "price_close": [np.nan, 0.72],
        }
    )
    frame = candle_frame_to_snapshot_frame(candles)
    assert list(frame["yes_ask"]) == [0.73, 0.74]
    assert list(frame["last_price"].fillna(-1)) == [-1, 0.72]


# --- Through PostgreSQL and Dagster ----------------------------------------------------------

LIVE_T0 = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=3)).floor("1min").to_pydatetime()


def live_tape() -> list[Trade]:
    def tr(k: int, seconds: float, price: str, count: str, side: str, block: bool = False) -> Trade:
        return Trade(
            trade_id=f"live-{k}",
            ticker=TICKER,
            created_time=LIVE_T0 + timedelta(seconds=seconds),
            yes_price=D(price),
            count=D(count),
            taker_side=side,
            is_block_trade=block,
        )

    return [
        tr(0, -3600, "0.35", "5", "no"),  # an hour before the window: the mark at its start
        tr(1, -3600, "0.33", "5", "no"),  # same moment, lower: the mark is the lowest
        tr(2, -1800, "0.90", "5", "no", block=True),  # a later block trade: not a price
        tr(3, 30, "0.40", "5", "yes"),  # bar 1
        tr(4, 90, "0.42", "3", "yes"),  # bar 2
        tr(5, 150, "0.41", "8", "no"),  # bar 3
    ]


async def seed_tape(repos: Repositories) -> None:
    await repos.series.upsert_many([Series(ticker="KXTAPE")])
    await repos.events.upsert_many([Event(event_ticker="KXTAPE", series_ticker="KXTAPE")])
    await repos.markets.upsert_markets(
        [
            Market(
                ticker=TICKER,
                event_ticker="KXTAPE",
                series_ticker="KXTAPE",
                status="finalized",
                result="yes",
                close_time=LIVE_T0 + timedelta(minutes=30),
                updated_at=LIVE_T0 - timedelta(days=1),
            )
        ]
    )
    await repos.history.replace_trades(
        [TICKER], LIVE_T0 - timedelta(days=1), LIVE_T0 + timedelta(hours=1), live_tape()
    )


async def test_load_quotes_reads_the_tape_through_the_history_repository(
    repos: Repositories, clean_db: Database
) -> None:
    await seed_tape(repos)
    end = LIVE_T0 + timedelta(minutes=5)
    q = await load_quotes(
        repos, [TICKER], LIVE_T0, end, source="trades", staleness="1min", max_wait_bars=2
    )
    assert q.data_source == "trades"
    assert q.max_wait_bars == 2
    np.testing.assert_array_equal(q.fill_ask[:, 0], [np.nan, 0.40, 0.42, np.nan, np.nan])
    np.testing.assert_array_equal(q.fill_ask_size[:, 0], [np.nan, 5, 3, np.nan, np.nan])
    np.testing.assert_array_equal(q.fill_bid[:, 0], [np.nan, np.nan, np.nan, 0.41, np.nan])
    np.testing.assert_array_equal(q.mark[:, 0], [0.33, 0.33, 0.33, 0.41, 0.41])
    np.testing.assert_array_equal(q.last[:, 0], [np.nan, 0.40, 0.42, 0.41, np.nan])  # 1 min
    frame = await repos.history.trade_frame([TICKER], LIVE_T0, end)
    assert list(frame["taker_side"]) == ["yes", "yes", "no"]
    res = backtest_signals(q, signals([1, 0, 0, 0, 0]), sharpe_freq="1min")
    (trade,) = res.trades
    assert (trade.entry_price, trade.contracts) == (D("0.40"), D(5))  # bar 1's print of 5


def materialize_tape(url: str, **config: Any) -> dg.ExecuteInProcessResult:
    asset = build_backtest_asset(get_strategy("favourite"))
    cfg = {
        "tickers": [TICKER],
        "start": LIVE_T0.isoformat(),
        "end": (LIVE_T0 + timedelta(minutes=5)).isoformat(),
        "min_coverage": 0.0,
        "sharpe_freq": "1min",
        "params_json": '{"lo": "0.3", "hi": "0.5", "hours_to_close": 1}',
        **config,
    }
    return dg.materialize(
        [asset],
        run_config={"ops": {"backtest_favourite": {"config": cfg}}},
        resources={"database": WorkbenchDatabase(database_url=url)},
        raise_on_error=False,
    )


@pytest.mark.usefixtures("clean_db")
def test_backtest_asset_runs_on_the_trade_tape(database_url: str) -> None:
    async def seed() -> None:
        db = await Database.connect(database_url, max_size=2)
        try:
            repos = repositories(db)
            await seed_tape(repos)
            # A crossed book elsewhere blocks quote backtests of the range, not a tape's.
            other = "KXBOOK-1"
            await repos.markets.upsert_markets(
                [Market(ticker=other, event_ticker="KXBOOK", series_ticker="KXBOOK", status="open")]
            )
            await repos.markets.save_many(
                [
                    MarketSnapshot(
                        market_ticker=other,
                        timestamp=LIVE_T0 + timedelta(minutes=1),
                        sequence=1,
                        yes_bid=D("0.70"),
                        yes_ask=D("0.60"),
                        last_price=D("0.65"),
                    )
                ]
            )
        finally:
            await db.close()

    asyncio.run(seed())
    # the series resolves through the market metadata: the tape's market has no stored quote
    result = materialize_tape(
        database_url, source="trades", max_wait_bars=3, tickers=[], series=["KXTAPE"]
    )
    assert result.success
    meta = {
        k: v.value
        for k, v in result.asset_materializations_for_node("backtest_favourite")[0].metadata.items()
    }
    assert meta["data_source"] == "trades"
    assert meta["quality_gate"] == "not applicable to a trade tape"
    # favourite sees the last print 0.40 at bar 1 -> its order meets bar 2's print: 3 at 0.42
    assert meta["num_trades"] == 1
    refused = materialize_tape(database_url, source="trades", fill_delay_bars=0)
    assert not refused.success
    assert "fill_delay_bars >= 1" in str(refused.get_step_failure_events()[0].event_specific_data)
