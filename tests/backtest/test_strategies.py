"""Contract: strategies are pure functions of past data — altering any quote after bar t never
changes a signal at bars <= t (for every registered strategy, on random data); the registry
makes a strategy one function plus a parameter model, and refuses unknown names and bad
parameters with a clear error; each strategy's rule does what its name says."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtest.builders import Case, at, cases, make_quotes
from kalshi_core.backtest.quotes import MarketMeta, QuoteArrays
from kalshi_core.backtest.strategies import (
    Signals,
    StrategyError,
    StrategyParams,
    compute_signals,
    get_strategy,
    list_strategies,
    register_strategy,
)

PARAMS: dict[str, list[dict[str, Any]]] = {
    "favourite": [{"lo": "0.3", "hi": "0.9", "hours_to_close": 0.5}],
    "mean_reversion": [
        {"lookback": 5, "entry_z": 0.5},
        {"lookback": 3, "entry_z": 0.1, "min_periods": 2},
    ],
    "momentum": [{"lookback": 4, "max_entry_ask": "1"}, {"lookback": 2, "min_periods": 1}],
    "calibration_bands": [
        {"bands": [["0.3", "0.9"]]},
        {"bands": [["0", "0.05"], ["0.65", "0.80"], ["0.95", "1"]]},
    ],
}


def altered_after(q: QuoteArrays, t: int, seed: int) -> QuoteArrays:
    """Same quotes up to bar t, anything after."""
    rng = np.random.default_rng(seed)
    bid, ask = q.bid.copy(), q.ask.copy()
    tail = bid[t + 1 :].shape
    new_bid = rng.integers(0, 9_000, size=tail) / 10_000
    bid[t + 1 :] = np.where(rng.random(tail) < 0.2, np.nan, new_bid)
    ask[t + 1 :] = np.where(
        np.isnan(bid[t + 1 :]), np.nan, new_bid + rng.integers(1, 1_000, tail) / 10_000
    )
    return QuoteArrays(
        index=q.index, tickers=q.tickers, bid=bid, ask=ask, bid_size=q.bid_size,
        ask_size=q.ask_size, last=q.last, mark=q.mark, meta=q.meta,
    )  # fmt: skip


def test_every_registered_strategy_is_covered() -> None:
    assert {s.name for s in list_strategies()} >= set(PARAMS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(max_bars=60), data=st.data())
def test_no_look_ahead(case: Case, data: st.DataObject) -> None:
    q = case.quotes
    t = data.draw(st.integers(0, q.n_bars - 1))
    name = data.draw(st.sampled_from(sorted(PARAMS)))
    params = data.draw(st.sampled_from(PARAMS[name]))
    _, before = compute_signals(q, name, params)
    _, after = compute_signals(altered_after(q, t, data.draw(st.integers(0, 2**31))), name, params)
    np.testing.assert_array_equal(before.entries[: t + 1], after.entries[: t + 1])
    np.testing.assert_array_equal(before.exits[: t + 1], after.exits[: t + 1])


def test_look_ahead_check_can_fail() -> None:
    """Negative control: a rule peeking one bar ahead is caught by the same comparison."""

    def peeking(q: QuoteArrays) -> np.ndarray:
        out = np.zeros(q.bid.shape, dtype=bool)
        out[:-1] = q.bid[1:] > q.bid[:-1]  # "tomorrow's bid is higher"
        return out

    q = make_quotes([0.5, 0.4, 0.3, 0.2], [0.6, 0.5, 0.4, 0.3])
    changed = make_quotes([0.5, 0.4, 0.9, 0.2], [0.6, 0.5, 0.95, 0.3])  # same up to bar 1
    assert not np.array_equal(peeking(q)[:2], peeking(changed)[:2])


def test_favourite_buys_the_band_near_close_and_holds() -> None:
    meta = [MarketMeta(ticker="KX-A", close_time=at(5))]
    q = make_quotes([0.80] * 6, [0.84, 0.86, 0.98, 0.90, 0.90, 0.90], meta=meta)
    _, sig = compute_signals(q, "favourite", {"lo": "0.85", "hi": "0.97", "hours_to_close": 3 / 60})
    assert sig.entries[:, 0].tolist() == [False, False, False, True, True, False]
    assert not sig.exits.any()


def test_mean_reversion_enters_below_the_band_and_exits_at_the_mean() -> None:
    bid = [0.50, 0.52, 0.50, 0.52, 0.50, 0.40, 0.46, 0.52]
    q = make_quotes(bid, [b + 0.02 for b in bid])
    _, sig = compute_signals(
        q, "mean_reversion", {"lookback": 5, "entry_z": 1.5, "timeout_bars": 7}
    )
    assert sig.entries[5, 0]
    assert not sig.entries[:5].any()
    assert sig.exits[7, 0]
    assert sig.max_hold_bars == 7


def test_constant_mid_gives_no_z_score_signal() -> None:
    q = make_quotes([0.5] * 10, [0.52] * 10)
    _, sig = compute_signals(q, "mean_reversion", {"lookback": 4, "entry_z": 0.01})
    assert not sig.entries.any()
    assert not sig.exits.any()


def test_momentum_enters_on_a_new_high_of_the_lookback() -> None:
    bid = [0.50, 0.52, 0.51, 0.53, 0.52, 0.52, 0.55]
    q = make_quotes(bid, [b + 0.02 for b in bid])
    _, sig = compute_signals(q, "momentum", {"lookback": 3, "min_periods": 2, "trail_stop": "0.02"})
    assert sig.entries[:, 0].tolist() == [False, False, False, True, False, False, True]
    assert sig.trail_stop == Decimal("0.02")


def test_unknown_strategy_and_bad_params_are_refused() -> None:
    with pytest.raises(StrategyError, match=r"registered: .*favourite"):
        get_strategy("astrology")
    q = make_quotes([0.5], [0.6])
    with pytest.raises(StrategyError, match="lo"):
        compute_signals(q, "favourite", {"lo": "0.9", "hi": "0.8"})
    with pytest.raises(StrategyError, match="extra"):
        compute_signals(q, "favourite", {"band": 1})
    with pytest.raises(StrategyError, match="contracts"):
        compute_signals(q, "momentum", {"contracts": "1.001"})


class _BuyAllParams(StrategyParams):
    every: int = 2


def test_a_new_strategy_is_one_function_and_a_params_model() -> None:
    @register_strategy("test_buy_every_n", _BuyAllParams)
    def buy_every(quotes: QuoteArrays, params: _BuyAllParams) -> Signals:
        """Buy every n-th bar."""
        e = np.zeros((quotes.n_bars, quotes.n_markets), dtype=bool)
        e[:: params.every] = True
        return Signals(e, np.zeros_like(e), params.contracts)

    spec = get_strategy("test_buy_every_n")
    assert spec.description == "Buy every n-th bar."
    q = make_quotes([0.5] * 4, [0.6] * 4)
    parsed, sig = compute_signals(q, "test_buy_every_n", {"every": 3})
    assert sig.entries[:, 0].tolist() == [True, False, False, True]
    assert parsed.model_dump()["every"] == 3
    with pytest.raises(StrategyError, match="already registered"):
        register_strategy("test_buy_every_n", _BuyAllParams)(buy_every)


def test_a_strategys_description_is_its_summary_and_details_its_whole_docstring() -> None:
    @register_strategy("test_wrapped_summary", _BuyAllParams)
    def wrapped(quotes: QuoteArrays, params: _BuyAllParams) -> Signals:
        """Buy every n-th bar, e.g. every 2nd, at the ask; a summary long enough to wrap onto
        a second line. Then a second sentence.

            an indented example
        A last line."""
        e = np.zeros((quotes.n_bars, quotes.n_markets), dtype=bool)
        return Signals(e, e, params.contracts)

    spec = get_strategy("test_wrapped_summary")
    assert spec.description == (
        "Buy every n-th bar, e.g. every 2nd, at the ask; a summary long enough to wrap onto "
        "a second line."
    )
    assert spec.details == (
        "Buy every n-th bar, e.g. every 2nd, at the ask; a summary long enough to wrap onto\n"
        "a second line. Then a second sentence.\n"
        "\n"
        "    an indented example\n"
        "A last line."
    )

    @register_strategy("test_no_docstring", _BuyAllParams)
    def bare(quotes: QuoteArrays, params: _BuyAllParams) -> Signals:
        e = np.zeros((quotes.n_bars, quotes.n_markets), dtype=bool)
        return Signals(e, e, params.contracts)

    assert (get_strategy("test_no_docstring").description, bare.__doc__) == ("", None)
    assert get_strategy("test_no_docstring").details == ""
