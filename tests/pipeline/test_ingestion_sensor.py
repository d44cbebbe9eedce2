"""Contract: the ingestion sensor requests exactly one run per (tier, window) with a
deterministic run key, ahead of the window, never twice across evaluations, and explains why it
skips (nothing due, no tier enabled, or a configuration over the Kalshi rate budget)."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from kalshi_core.settings import Settings
from kalshi_pipeline.defs.ingestion.sensors import (
    ingestion_sensor,
    plan_requests,
)

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def settings(**kw: object) -> Settings:
    base: dict[str, object] = {
        "watchlist_series": ["KXHIGHNY"],
        "catalogue_enabled": True,
        "catalogue_markets_estimate": 5000,
        "poll_window_s": 300,
        "ingestion_lead_s": 45,
    }
    base.update(kw)
    return Settings(_env_file=None, **base)  # type: ignore[arg-type, call-arg]


def test_first_evaluation_requests_current_window_per_tier() -> None:
    plan = plan_requests(T0 + timedelta(seconds=100), {}, settings())
    keys = sorted(r.run_key or "" for r in plan.requests)
    assert keys == ["catalogue:2026-11-27T10:00:00Z", "watchlist:2026-11-27T10:00:00Z"]
    wl = next(r for r in plan.requests if (r.run_key or "").startswith("watchlist"))
    assert wl.partition_key == "2026-11-27"
    assert wl.tags["kalshi/ingestion"] == "watchlist"
    cfg = wl.run_config["ops"]["market_snapshots"]["config"]
    assert cfg == {"tier": "watchlist", "window_start": "2026-11-27T10:00:00Z"}


def test_next_window_requested_within_lead_and_never_twice() -> None:
    s = settings()
    first = plan_requests(T0 + timedelta(seconds=100), {}, s)
    again = plan_requests(T0 + timedelta(seconds=130), first.cursor, s)
    assert again.requests == []
    assert again.skip_reason
    lead = plan_requests(T0 + timedelta(seconds=260), first.cursor, s)
    assert sorted(r.run_key or "" for r in lead.requests) == [
        "catalogue:2026-11-27T10:05:00Z",
        "watchlist:2026-11-27T10:05:00Z",
    ]
    later = plan_requests(T0 + timedelta(seconds=290), lead.cursor, s)
    assert later.requests == []


def test_midnight_window_goes_to_next_day_partition() -> None:
    s = settings(catalogue_enabled=False)
    plan = plan_requests(
        datetime(2026, 11, 27, 23, 59, 30, tzinfo=UTC), {"watchlist": "2026-11-27T23:55:00Z"}, s
    )
    assert [r.partition_key for r in plan.requests] == ["2026-11-28"]


def test_no_tier_enabled_is_a_skip_reason() -> None:
    plan = plan_requests(T0, {}, settings(watchlist_series=[], catalogue_enabled=False))
    assert plan.requests == []
    assert plan.skip_reason is not None
    assert "WATCHLIST_SERIES" in plan.skip_reason


def test_over_budget_configuration_is_refused_with_advice() -> None:
    s = settings(watchlist_tickers=[f"T{i}" for i in range(20_000)])
    plan = plan_requests(T0, {}, s)
    assert plan.requests == []
    assert plan.skip_reason is not None
    assert "refused" in plan.skip_reason


def test_sensor_definition_evaluates_with_cursor(monkeypatch: object) -> None:
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, cursor=None)
        results = list(ingestion_sensor(ctx))  # type: ignore[arg-type]
        requests = [r for r in results if isinstance(r, dg.RunRequest)]
        assert ctx.cursor is not None or not requests
        ctx2 = dg.build_sensor_context(instance=instance, cursor=ctx.cursor)
        again = [r for r in ingestion_sensor(ctx2) if isinstance(r, dg.RunRequest)]  # type: ignore[arg-type]
        assert not {r.run_key for r in again} & {r.run_key for r in requests}
        # a fresh install fills the metadata once, without waiting for the hourly schedule
        assert "metadata-bootstrap" in {r.run_key for r in requests}
        boot = next(r for r in requests if r.run_key == "metadata-bootstrap")
        assert boot.job_name == "metadata_refresh"
