"""Contract: worked fill and settlement cases — buys fill at the ask and sells at the bid (never
the mid), capped by top-of-book size, never on a stale quote, one bar after the signal by
default; open positions are paid $1/$0 by result at settlement (void: refunded at cost, fees
not refunded), marked at the bid when unresolved at the end (end_of_data), and never traded
after the close; settlement PnL and exit PnL are reported apart."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import numpy as np

from backtest.builders import at, make_quotes, signals
from kalshi_core.backtest.engine import backtest_signals, run_kernel
from kalshi_core.backtest.kernels import O_COUNT, O_PRICE, O_REASON, R_END, R_SETTLEMENT
from kalshi_core.backtest.quotes import MarketMeta
from kalshi_core.backtest.reference import simulate_reference
from kalshi_core.models import BacktestResult

D = Decimal
BID = [0.40, 0.41, 0.42, 0.43, 0.44, 0.45]
ASK = [0.44, 0.45, 0.46, 0.47, 0.48, 0.49]


def meta(result: str | None, close: float | None = 3, settle: float | None = 3.5) -> MarketMeta:
    return MarketMeta(
        ticker="KX-A",
        result=result,
        close_time=at(close) if close is not None else None,
        settlement_time=at(settle) if settle is not None else None,
    )


def run(quotes, sig, delay: int = 0) -> BacktestResult:  # type: ignore[no-untyped-def]
    res = backtest_signals(quotes, sig, fill_delay_bars=delay, sharpe_freq="1min")
    ref = simulate_reference(quotes, sig, fill_delay_bars=delay)
    assert res.total_pnl == ref.total_pnl  # every worked case also holds for the reference
    return res


def test_yes_settlement_pays_one_dollar_and_entry_fills_at_the_ask() -> None:
    q = make_quotes(BID, ASK, meta=[meta("yes")])
    res = run(q, signals([1, 0, 0, 0, 0, 0]))
    (trade,) = res.trades
    assert trade.entry_price == D("0.44")  # the ask, not the mid 0.42
    assert trade.fees == D("0.18")  # 0.07 * 10 * 0.44 * 0.56 = 0.17248 -> 0.18
    assert trade.exit_price == D(1)
    assert trade.exit_reason == "settlement"
    assert trade.exit_time == at(4)  # first bar at/after the 3.5 min settlement
    assert trade.pnl == D("5.42")
    assert (res.settlement_pnl, res.exit_pnl, res.fees_paid) == (D("5.6"), D(0), D("0.18"))


def test_no_settlement_pays_zero() -> None:
    res = run(make_quotes(BID, ASK, meta=[meta("no")]), signals([1, 0, 0, 0, 0, 0]))
    assert res.trades[0].pnl == D("-4.58")
    assert res.settlement_pnl == D("-4.4")


def test_void_refunds_the_cost_but_not_the_fee() -> None:
    res = run(make_quotes(BID, ASK, meta=[meta("void")]), signals([1, 0, 0, 0, 0, 0]))
    (trade,) = res.trades
    assert trade.exit_reason == "void"
    assert trade.exit_price == D("0.44")
    assert trade.pnl == D("-0.18")


def test_unresolved_position_is_marked_at_the_last_observed_bid() -> None:
    bid = [*BID[:4], np.nan, np.nan]  # stale at the end: the mark still uses 0.43
    ask = [*ASK[:4], np.nan, np.nan]
    q = make_quotes(bid, ask, meta=[meta(None, close=None, settle=None)])
    res = run(q, signals([1, 0, 0, 0, 0, 0]))
    (trade,) = res.trades
    assert trade.exit_reason == "end_of_data"
    assert trade.exit_price == D("0.43")
    assert trade.fees == D("0.18")  # the mark charges no exit fee
    assert trade.pnl == D("-0.28")  # 10 x (0.43 - 0.44) - 0.18
    assert res.marked_pnl == D("-0.1")
    assert res.settlement_pnl == 0


def test_result_known_but_settled_after_the_data_settles_at_its_time() -> None:
    q = make_quotes(BID, ASK, meta=[meta("yes", close=5, settle=30)])
    res = run(q, signals([0, 1, 0, 0, 0, 0]))
    assert res.trades[0].exit_reason == "settlement"
    assert res.trades[0].exit_time == at(30)
    # A train window must not use that result: it marks at the bid instead.
    train = run_kernel(q, signals([0, 1, 0, 0, 0, 0]), settle_beyond=False, fill_delay_bars=0)
    assert train.orders[-1, O_REASON] == R_END
    assert train.orders[-1, O_PRICE] == 4500
    full = run_kernel(q, signals([0, 1, 0, 0, 0, 0]), settle_beyond=True, fill_delay_bars=0)
    assert full.orders[-1, O_REASON] == R_SETTLEMENT
    assert full.orders[-1, O_PRICE] == 10_000


def test_exit_sells_at_the_bid_capped_by_bid_size() -> None:
    q = make_quotes(BID, ASK, bid_size=[[5], [5], [4], [5], [5], [5]], meta=[meta("yes", 5, 5)])
    res = run(q, signals([1, 0, 0, 0, 0, 0], exits=[0, 0, 1, 0, 0, 0]))
    (trade,) = res.trades  # one position, closed by a sale of 4 and settlement of 6
    assert trade.contracts == D(10)
    assert trade.exit_reason == "settlement"
    sale_fee = D("0.07")  # 0.07 * 4 * 0.42 * 0.58 = 0.068208 -> 0.0683 -> 0.07
    assert trade.fees == D("0.18") + sale_fee
    assert res.exit_pnl == D("-0.08")  # 4 x (0.42 - 0.44)
    assert res.settlement_pnl == D("3.36")  # 6 x (1 - 0.44)
    assert trade.exit_price == D("0.768")  # (4 x 0.42 + 6 x 1) / 10


def test_entry_is_capped_by_ask_size_and_skips_stale_quotes() -> None:
    ask = [np.nan, 0.45, 0.46, 0.47, 0.48, 0.49]
    bid = [np.nan, *BID[1:]]
    q = make_quotes(bid, ask, ask_size=[[9], [3], [9], [9], [9], [9]], meta=[meta("yes", 5, 5)])
    res = run(q, signals([1, 0, 0, 0, 0, 0]))
    assert res.num_trades == 0  # the only entry signal met a stale quote: nothing, no retry
    res = run(q, signals([0, 1, 0, 0, 0, 0]))
    assert res.trades[0].contracts == D(3)
    assert res.trades[0].entry_price == D("0.45")


def test_signal_fills_one_bar_later_by_default() -> None:
    q = make_quotes(BID, ASK, meta=[meta("yes", 5, 5)])
    res = backtest_signals(q, signals([1, 0, 0, 0, 0, 0]))  # fill_delay_bars=1
    assert res.trades[0].entry_time == at(1)
    assert res.trades[0].entry_price == D("0.45")


def test_nothing_trades_at_or_after_the_close() -> None:
    q = make_quotes(BID, ASK, meta=[meta("yes", close=2, settle=4)])
    assert run(q, signals([0, 0, 1, 1, 0, 0])).num_trades == 0
    res = run(q, signals([0, 1, 0, 0, 0, 0], exits=[0, 0, 1, 1, 1, 1]))
    assert res.trades[0].exit_reason == "settlement"  # exits after the close cannot fill


def test_empty_book_sides_do_not_fill() -> None:
    q = make_quotes([0.0, 0.0, 0.3], [1.0, 0.5, 1.0], meta=[meta(None, None, None)])
    assert run(q, signals([1, 0, 0])).num_trades == 0  # no ask on bar 0
    res = run(q, signals([1, 1, 0], exits=[0, 1, 1]))
    (trade,) = res.trades  # bought at 0.50 on bar 1; bar 2 sells at the 0.30 bid
    assert trade.entry_price == D("0.5")
    assert trade.exit_reason == "signal"
    assert trade.exit_price == D("0.3")


def test_trailing_stop_and_time_limit() -> None:
    bid = [0.40, 0.50, 0.47, 0.44, 0.60, 0.60]
    ask = [0.42, 0.52, 0.49, 0.46, 0.62, 0.62]
    q = make_quotes(bid, ask, meta=[meta(None, None, None)])
    res = run(q, signals([1, 0, 0, 0, 0, 0], trail_stop="0.05"))
    assert res.trades[0].exit_reason == "stop"
    assert res.trades[0].exit_time == at(3)  # 0.44 <= 0.50 - 0.05
    res = run(q, signals([1, 0, 0, 0, 0, 0], max_hold_bars=2))
    assert res.trades[0].exit_reason == "timeout"
    assert res.trades[0].exit_time == at(2)


def test_fee_waiver_and_multiplier_reach_the_fills() -> None:
    waived = MarketMeta(ticker="KX-A", fee_waiver_until=at(1), fee_multiplier=D("0.5"))
    q = make_quotes(BID, ASK, meta=[waived])
    res = run(q, signals([1, 0, 0, 0, 0, 0], exits=[0, 0, 1, 0, 0, 0]))
    # entry in the waiver: free; exit: 0.5 * 0.07 * 10 * 0.42 * 0.58 = 0.08526 -> 0.09
    assert res.fees_paid == D("0.09")


def test_kernel_orders_are_signed_contracts() -> None:
    q = make_quotes(BID, ASK, meta=[meta("yes")])
    run_ = run_kernel(q, signals([1, 0, 0, 0, 0, 0]), fill_delay_bars=0)
    assert list(run_.orders[:, O_COUNT]) == [1000, -1000]


def test_equity_curve_is_resampled_and_ends_at_total_pnl() -> None:
    q = make_quotes(BID, ASK, meta=[meta("yes")])
    res = backtest_signals(q, signals([1, 0, 0, 0, 0, 0]), fill_delay_bars=0, sharpe_freq="2min")
    times = [t for t, _ in res.equity_curve]
    assert times == [at(0), at(2), at(4)]
    assert all(isinstance(t, datetime) for t in times)
    assert res.equity_curve[-1][1] == float(res.total_pnl)
    assert res.sharpe_frequency == "2min"
