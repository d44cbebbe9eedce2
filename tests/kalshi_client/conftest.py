"""Fixtures for the Kalshi client tests: real samples, current <-> legacy conversion, a no-wait
sleep, and MockTransport servers that speak the `/markets` pagination protocol."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.kalshi_reference import SAMPLES

EVENT_SAMPLE = SAMPLES / "event_KXMLBGAME-26AUG112140MILSD_2026-08_current_format.json"
MARKETS_SAMPLE = SAMPLES / "markets_list_2025-10-31_legacy_plus_dollars.json"
CANDLES_SAMPLE = SAMPLES / "candlesticks_KXNYKCOACH-25-MNORI_2025_legacy_plus_dollars.json"
SNAPSHOTS_CSV = SAMPLES / "market_snapshots_KXHIGHNY_2025-11-24_1min_cents.csv"


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def current_market() -> dict[str, Any]:
    """A real current-format market (first market of the event sample), with a live book."""
    m: dict[str, Any] = copy.deepcopy(load(EVENT_SAMPLE)["markets"][0])
    m["yes_bid_dollars"] = "0.4200"
    m["yes_bid_size_fp"] = "120.00"
    m["yes_ask_dollars"] = "0.4500"
    m["yes_ask_size_fp"] = "80.00"
    m["last_price_dollars"] = "0.4300"
    m["volume_fp"] = "2892306.00"
    m["volume_24h_fp"] = "2883275.00"
    m["open_interest_fp"] = "2286232.00"
    return m


def to_legacy(obj: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a current-format object the way Kalshi served it before 2026-03: `*_dollars` ->
    integer cents under the bare name, `*_fp` -> integer counts (values must be whole)."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k.endswith("_dollars") and isinstance(v, str):
            cents = Decimal(v) * 100
            assert cents == cents.to_integral_value(), f"{k}={v} has sub-cent precision"
            out[k.removesuffix("_dollars")] = int(cents)
        elif k.endswith("_fp") and isinstance(v, str):
            n = Decimal(v)
            assert n == n.to_integral_value(), f"{k}={v} is fractional"
            out[k.removesuffix("_fp")] = int(n)
        elif isinstance(v, dict):
            out[k] = to_legacy(v)
        else:
            out[k] = v
    return out


@pytest.fixture
def market_current() -> dict[str, Any]:
    return current_market()


@pytest.fixture
def legacy() -> Callable[[dict[str, Any]], dict[str, Any]]:
    return to_legacy


class FakeSleep:
    """Records requested delays and returns at once (no test sleeps for real)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()
