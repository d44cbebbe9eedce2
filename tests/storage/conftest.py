"""Builders for storage tests: snapshots, markets and polls with exact Decimal fields."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kalshi_core.models import Market, MarketSnapshot
from tests.builders import build_market, build_snapshot


@pytest.fixture
def snap() -> Callable[..., MarketSnapshot]:
    return build_snapshot


@pytest.fixture
def market() -> Callable[..., Market]:
    return build_market
