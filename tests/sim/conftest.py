"""Fixtures for the simulator tests: servers on free ports with a frozen, fixed clock.

A fixed anchor and start time make every response reproducible across runs and days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from kalshi_sim.config import SimConfig
from kalshi_sim.testing import SimServer, serve

ANCHOR = datetime(2026, 10, 20, tzinfo=UTC)
START = datetime(2026, 10, 21, 15, 0, tzinfo=UTC)


def base_config(**kw: Any) -> SimConfig:
    cfg = SimConfig(
        markets=1500,
        mve_markets=600,
        seed=7,
        anchor=ANCHOR,
        start_time=START,
        time_scale=0.0,
        rate_limit_per_s=0.0,
    )
    return replace(cfg, **kw)


@pytest.fixture(scope="session")
def current_sim() -> Iterator[SimServer]:
    with serve(base_config()) as server:
        yield server


@pytest.fixture(scope="session")
def busy_sim() -> Iterator[SimServer]:
    with serve(base_config(dynamics="busy")) as server:
        yield server


@pytest.fixture(params=["calibrated", "busy"])
def any_client(
    request: pytest.FixtureRequest, current_sim: SimServer, busy_sim: SimServer
) -> Iterator[httpx.Client]:
    """A client of the simulator under each dynamics: consistency holds whatever moves."""
    server = current_sim if request.param == "calibrated" else busy_sim
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        yield c


@pytest.fixture(scope="session")
def legacy_sim() -> Iterator[SimServer]:
    with serve(base_config(legacy_format=True)) as server:
        yield server


@pytest.fixture
def client(current_sim: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=current_sim.base_url, timeout=60) as c:
        yield c


@pytest.fixture
def legacy_client(legacy_sim: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=legacy_sim.base_url, timeout=60) as c:
        yield c


def _quoted(m: dict[str, Any], side: str) -> bool:
    return m[f"{side}_dollars"] not in ("0.0000", "1.0000")


def pick_tickers(c: httpx.Client) -> dict[str, str]:
    """Tickers of an open traded market, its event/series, a combo and a historical market."""
    markets = c.get(
        "/markets", params={"status": "open", "mve_filter": "exclude", "limit": 1000}
    ).json()["markets"]
    # The busiest market quoted on both sides: a decided market (bid 0 or ask 1) has a one-sided
    # book, as on Kalshi, and the book tests need both sides.
    two_sided = [m for m in markets if _quoted(m, "yes_bid") and _quoted(m, "yes_ask")]
    traded = max(two_sided, key=lambda m: float(m.get("volume_fp") or m.get("volume") or 0))
    combo = c.get("/markets", params={"mve_filter": "only", "status": "open", "limit": 1}).json()[
        "markets"
    ][0]
    hist = c.get("/historical/markets", params={"limit": 1}).json()["markets"][0]
    return {
        "market": traded["ticker"],
        "event": traded["event_ticker"],
        "series": traded["ticker"].split("-")[0],
        "combo": combo["ticker"],
        "historical": hist["ticker"],
        "historical_series": hist["ticker"].split("-")[0],
    }
