"""Contract: Kalshi-like limits and every fault knob are observable by a client.

- Token bucket: beyond the configured rate the API answers 429 with body
  {"error": "too many requests"} and no Retry-After, then recovers; 429s are counted.
- Knobs set at run time through POST /_sim/faults (and from the CLI flags): 5xx error rate, added
  latency, hangs past the client timeout, truncated and malformed JSON, dropped fields, an outage
  window (503 or dropped connections) and a 429 storm; /_sim/stats exposes the counters.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from kalshi_sim.__main__ import parse_args
from kalshi_sim.testing import SimServer, serve
from sim.conftest import base_config

OFF: dict[str, Any] = {
    "error_rate": 0,
    "latency_ms": 0,
    "timeout_rate": 0,
    "truncate_rate": 0,
    "malformed_rate": 0,
    "drop_field_rate": 0,
    "outage_s": 0,
    "storm_s": 0,
    "rate_limit_per_s": 0,
}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with serve(base_config(markets=200, mve_markets=50)) as server:
        yield server


@pytest.fixture
def admin(sim: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.root_url, timeout=30) as c:
        c.post("/_sim/faults", json=OFF).raise_for_status()
        yield c
        c.post("/_sim/faults", json=OFF).raise_for_status()


@pytest.fixture
def api(sim: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, timeout=30) as c:
        yield c


def _counters(admin: httpx.Client) -> dict[str, int]:
    counters: dict[str, int] = admin.get("/_sim/stats").json()["counters"]
    return counters


def test_token_bucket_answers_kalshi_429(admin: httpx.Client, api: httpx.Client) -> None:
    admin.post("/_sim/faults", json={"rate_limit_per_s": 2, "rate_burst": 2}).raise_for_status()
    before = _counters(admin).get("rate_limited_429", 0)
    answers = [api.get("/exchange/status") for _ in range(8)]
    limited = [r for r in answers if r.status_code == 429]
    assert answers[0].status_code == 200
    assert len(limited) >= 4
    for r in limited:
        assert r.json() == {"error": "too many requests"}
        assert r.content == b'{"error": "too many requests"}'
        assert "retry-after" not in r.headers
    assert _counters(admin)["rate_limited_429"] - before == len(limited)
    time.sleep(1.1)
    assert api.get("/exchange/status").status_code == 200


def test_error_rate_gives_5xx(admin: httpx.Client, api: httpx.Client) -> None:
    admin.post("/_sim/faults", json={"error_rate": 1.0}).raise_for_status()
    codes = {api.get("/markets", params={"limit": 1}).status_code for _ in range(12)}
    assert codes <= {500, 502, 503}
    r = api.get("/markets")
    assert set(r.json()) == {"error"}
    assert _counters(admin)["fault_5xx"] >= 13


def test_latency_is_added(admin: httpx.Client, api: httpx.Client) -> None:
    admin.post("/_sim/faults", json={"latency_ms": 400}).raise_for_status()
    t0 = time.monotonic()
    assert api.get("/exchange/status").status_code == 200
    assert time.monotonic() - t0 >= 0.35


def test_hang_exceeds_client_timeout(admin: httpx.Client, sim: SimServer) -> None:
    admin.post("/_sim/faults", json={"timeout_rate": 1.0, "hang_s": 3}).raise_for_status()
    with (
        httpx.Client(base_url=sim.base_url, timeout=0.5) as short,
        pytest.raises(httpx.ReadTimeout),
    ):
        short.get("/markets")


def test_truncated_and_malformed_bodies(admin: httpx.Client, api: httpx.Client) -> None:
    admin.post("/_sim/faults", json={"truncate_rate": 1.0}).raise_for_status()
    r = api.get("/markets", params={"limit": 5})
    assert r.status_code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(r.content)
    admin.post("/_sim/faults", json={"truncate_rate": 0, "malformed_rate": 1.0})
    r = api.get("/markets", params={"limit": 5})
    assert r.status_code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(r.content)
    counters = _counters(admin)
    assert counters["fault_truncate"] >= 1
    assert counters["fault_malformed"] >= 1


def test_dropped_fields(admin: httpx.Client, api: httpx.Client) -> None:
    admin.post(
        "/_sim/faults",
        json={"drop_field_rate": 1.0, "drop_fields": ["yes_bid_dollars", "cursor"]},
    ).raise_for_status()
    body = api.get("/markets", params={"limit": 20}).json()
    assert "cursor" not in body
    assert all("yes_bid_dollars" not in m and "ticker" in m for m in body["markets"])


def test_outage_503_then_reset_then_recovery(admin: httpx.Client, api: httpx.Client) -> None:
    admin.post("/_sim/faults", json={"outage_s": 30, "outage_mode": "503"}).raise_for_status()
    assert api.get("/markets").status_code == 503
    assert api.get("/exchange/status").status_code == 503
    admin.post("/_sim/faults", json={"outage_mode": "reset"}).raise_for_status()
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.get("/markets")
    admin.post("/_sim/faults", json={"outage_s": 0, "outage_mode": "503"}).raise_for_status()
    assert api.get("/markets").status_code == 200
    assert _counters(admin)["outage_rejections"] >= 3


def test_429_storm(admin: httpx.Client, api: httpx.Client) -> None:
    admin.post("/_sim/faults", json={"storm_s": 30}).raise_for_status()
    answers = [api.get("/markets") for _ in range(5)]
    assert {r.status_code for r in answers} == {429}
    assert all(r.json() == {"error": "too many requests"} for r in answers)
    admin.post("/_sim/faults", json={"storm_s": 0}).raise_for_status()
    assert api.get("/markets").status_code == 200


def test_admin_rejects_unknown_knobs_and_reports_state(admin: httpx.Client) -> None:
    r = admin.post("/_sim/faults", json={"explode": 1})
    assert r.status_code == 400
    assert "explode" in r.json()["error"]["details"]
    state = admin.get("/_sim/faults").json()
    assert state["error_rate"] == 0
    assert state["rate_limit_per_s"] == 0
    stats = admin.get("/_sim/stats").json()
    assert stats["counters"]["requests_total"] > 0
    assert stats["markets"] > 0


def test_cli_flags_map_to_config() -> None:
    cfg = parse_args(
        [
            "--markets", "300", "--seed", "5", "--legacy-format", "--rate-limit", "7",
            "--error-rate", "0.1", "--latency-ms", "20", "--timeout-rate", "0.2",
            "--truncate-rate", "0.3", "--malformed-rate", "0.4", "--drop-field-rate", "0.5",
            "--outage-s", "60", "--outage-mode", "reset", "--storm-s", "5", "--time-scale", "60",
        ]
    )  # fmt: skip
    assert (cfg.markets, cfg.seed, cfg.legacy_format, cfg.rate_limit_per_s) == (300, 5, True, 7)
    f = cfg.faults
    assert (f.error_rate, f.latency_ms, f.timeout_rate) == (0.1, 20, 0.2)
    assert (f.truncate_rate, f.malformed_rate, f.drop_field_rate) == (0.3, 0.4, 0.5)
    assert f.outage_mode == "reset"
    assert f.outage_until > time.time() + 50
    assert f.storm_until > time.time()
    assert cfg.time_scale == 60
