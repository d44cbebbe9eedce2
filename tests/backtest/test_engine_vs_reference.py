"""Contract: the vectorised engine (numba fill engine + vectorbt portfolio) and the plain-Python
Decimal reference simulator agree exactly — every fill's price, size, fee and reason, every
position's PnL, the PnL split and the equity curve — on random quotes with stale cells, thin and
fractional books, empty sides, settlements (yes/no/scalar/void/unresolved, inside and beyond the
data), fee waivers, multipliers, stops, time limits, fill delays and orders waiting for a
fillable bar — and on random trade tapes (no book: fills only at prints of the order's side),
where the reference reads the prints itself; every trade-only fill is a print of its bar. A
registered strategy (calibration_bands) runs end to end: its signals equal the reference's own
entries and fill identically in both simulators."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtest.builders import Case, cases, trade_cases
from kalshi_core.backtest.engine import backtest_signals, run_kernel
from kalshi_core.backtest.kernels import (
    O_BAR,
    O_COUNT,
    O_FEE,
    O_MARKET,
    O_PRICE,
    O_REASON,
    REASON_NAMES,
)
from kalshi_core.backtest.reference import (
    RefResult,
    calibration_bands_entries,
    simulate_reference,
)
from kalshi_core.backtest.strategies import compute_signals
from kalshi_core.models import Trade

MICRO = Decimal("0.000001")


def kernel_fills(orders: np.ndarray) -> list[tuple[int, int, Decimal, Decimal, Decimal, str]]:
    return [
        (
            int(o[O_BAR]),
            int(o[O_MARKET]),
            Decimal(int(o[O_COUNT])) / 100,
            Decimal(int(o[O_PRICE])) / 10_000,
            Decimal(int(o[O_FEE])) / 100,
            REASON_NAMES[int(o[O_REASON])],
        )
        for o in orders
    ]


def ref_fills(ref: RefResult) -> list[tuple[int, int, Decimal, Decimal, Decimal, str]]:
    return [(f.bar, f.market, f.contracts, f.price, f.fee, f.reason) for f in ref.fills]


def order_key(f: tuple[int, int, Decimal, Decimal, Decimal, str]) -> tuple[int, int]:
    return (f[0], f[1])


def check_fill_by_fill(case: Case) -> None:
    q, sig = case.quotes, case.signals
    ref = simulate_reference(q, sig, fill_delay_bars=case.fill_delay_bars, trades=case.tape)
    run = run_kernel(q, sig, fill_delay_bars=case.fill_delay_bars)
    assert sorted(kernel_fills(run.orders), key=order_key) == sorted(ref_fills(ref), key=order_key)
    assert Decimal(run.pnl_micro) / 1_000_000 == ref.total_pnl
    assert [Decimal(int(v)) / 1_000_000 for v in run.equity_micro] == ref.equity


def check_window(case: Case, data: st.DataObject) -> None:
    q, sig = case.quotes, case.signals
    t0 = data.draw(st.integers(0, q.n_bars - 1))
    t1 = data.draw(st.integers(t0 + 1, q.n_bars))
    beyond = data.draw(st.booleans())
    delay = case.fill_delay_bars
    ref = simulate_reference(
        q, sig, t0=t0, t1=t1, settle_beyond=beyond, fill_delay_bars=delay, trades=case.tape
    )
    run = run_kernel(q, sig, t0=t0, t1=t1, settle_beyond=beyond, fill_delay_bars=delay)
    assert sorted(kernel_fills(run.orders), key=order_key) == sorted(ref_fills(ref), key=order_key)
    assert [Decimal(int(v)) / 1_000_000 for v in run.equity_micro] == ref.equity


def check_vectorbt_trade_by_trade(case: Case) -> None:
    q, sig = case.quotes, case.signals
    ref = simulate_reference(q, sig, fill_delay_bars=case.fill_delay_bars, trades=case.tape)
    res = backtest_signals(q, sig, fill_delay_bars=case.fill_delay_bars, sharpe_freq="5min")

    assert res.total_pnl == ref.total_pnl
    assert res.fees_paid == ref.fees_paid
    assert res.settlement_pnl == ref.settlement_pnl
    assert res.exit_pnl == ref.exit_pnl
    assert res.marked_pnl == ref.marked_pnl
    assert res.total_pnl == res.settlement_pnl + res.exit_pnl + res.marked_pnl - res.fees_paid
    assert res.num_trades == len(ref.trades)

    got = sorted(res.trades, key=lambda t: (t.entry_time, t.market_ticker))
    want = sorted(ref.trades, key=lambda t: (t.entry_bar, q.tickers[t.market]))
    for g, w in zip(got, want, strict=True):
        assert g.market_ticker == q.tickers[w.market]
        assert g.entry_time == q.index[w.entry_bar].to_pydatetime()
        assert g.entry_price == w.entry_price
        assert g.contracts == w.contracts
        assert g.fees == w.fees
        assert g.pnl == w.pnl
        assert g.exit_reason == w.exit_reason
        assert g.exit_price is not None
        assert abs(g.exit_price - w.exit_price) <= MICRO
    if ref.trades:
        wins = sum(1 for t in ref.trades if t.pnl > 0)
        assert res.win_rate == wins / len(ref.trades)
    # The full-resolution equity curve gives the drawdown; compare with the reference's.
    curve = [Decimal(0), *ref.equity]
    peak, worst = Decimal(0), Decimal(0)
    for v in curve:
        peak = max(peak, v)
        worst = max(worst, peak - v)
    assert abs(res.max_drawdown - worst) <= MICRO


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_kernel_matches_reference_fill_by_fill(case: Case) -> None:
    check_fill_by_fill(case)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), data=st.data())
def test_kernel_matches_reference_on_a_window(case: Case, data: st.DataObject) -> None:
    check_window(case, data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_vectorbt_result_matches_reference_trade_by_trade(case: Case) -> None:
    check_vectorbt_trade_by_trade(case)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=trade_cases())
def test_trade_tape_kernel_matches_reference_fill_by_fill(case: Case) -> None:
    check_fill_by_fill(case)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=trade_cases(), data=st.data())
def test_trade_tape_kernel_matches_reference_on_a_window(case: Case, data: st.DataObject) -> None:
    check_window(case, data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=trade_cases())
def test_trade_tape_vectorbt_matches_reference_trade_by_trade(case: Case) -> None:
    check_vectorbt_trade_by_trade(case)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.one_of(cases(), trade_cases()),
    bands=st.sampled_from([[("0.3", "0.9")], [("0", "0.05"), ("0.65", "0.80"), ("0.95", "1")]]),
)
def test_calibration_bands_strategy_matches_reference(
    case: Case, bands: list[tuple[str, str]]
) -> None:
    """A registered strategy end to end: its signals (equal to the reference's own entries)
    filled by both simulators, fill by fill."""
    q = case.quotes
    _, sig = compute_signals(q, "calibration_bands", {"bands": bands, "contracts": "2.5"})
    assert sig.entries.tolist() == calibration_bands_entries(
        q, [(Decimal(lo), Decimal(hi)) for lo, hi in bands]
    )
    check_fill_by_fill(Case(q, sig, case.fill_delay_bars, case.tape))


def prints_in_bar(case: Case, bar: int, ticker: str, side: str) -> list[Trade]:
    assert case.tape is not None
    hi = case.quotes.index[bar].to_pydatetime()
    lo = hi - case.quotes.step.to_pytimedelta()
    return [
        t
        for t in case.tape
        if t.ticker == ticker
        and t.taker_side == side
        and not t.is_block_trade
        and lo < t.created_time <= hi
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=trade_cases())
def test_trade_tape_fills_only_at_prints_of_their_side(case: Case) -> None:
    """Independent of both simulators: every buy is a YES-taker print of its bar, every sale a
    NO-taker print, at that price and for no more than was printed at that price then; no
    order fills in the bar of its own signal."""
    q = case.quotes
    run = run_kernel(q, case.signals, fill_delay_bars=case.fill_delay_bars)
    for bar, m, count, price, _fee, reason in kernel_fills(run.orders):
        if reason in ("settlement", "void", "end_of_data"):
            continue
        side = "yes" if count > 0 else "no"
        prints = prints_in_bar(case, bar, q.tickers[m], side)
        assert prints, f"fill on bar {bar} without a {side}-taker print there"
        first = min(t.created_time for t in prints)
        then = [t for t in prints if t.created_time == first]
        worst = max(t.yes_price for t in then) if side == "yes" else min(t.yes_price for t in then)
        assert price == worst  # the bar's first print; the worst of a sweep's prices
        assert abs(count) <= sum((t.count for t in then if t.yes_price == price), Decimal(0))
        if reason == "entry":
            signal_bars = [
                s
                for s in range(max(0, bar - case.fill_delay_bars - q.max_wait_bars), bar)
                if case.signals.entries[s, m] and s + case.fill_delay_bars <= bar
            ]
            assert signal_bars, f"entry on bar {bar} without a live order"
