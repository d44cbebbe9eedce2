"""Contract: schema drift of raw /markets payloads is named — unknown fields reported, missing
required fields flagged as breaking — while real recorded pages (legacy + dollars) pass."""

from pathlib import Path

import orjson

from kalshi_pipeline.lib.schema_drift import market_drift

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "kalshi" / "samples"


def test_real_legacy_sample_has_no_drift() -> None:
    body = (SAMPLES / "markets_list_2025-10-31_legacy_plus_dollars.json").read_bytes()
    payload = orjson.loads(body)
    markets = payload if isinstance(payload, list) else payload["markets"]
    drift = market_drift([orjson.dumps({"markets": markets})])
    assert drift.markets_checked > 0
    assert drift.unknown == {}
    assert not drift.breaking


def test_unknown_and_missing_fields_are_named() -> None:
    market = {
        "ticker": "KXA-1",
        "event_ticker": "KXA",
        "market_type": "binary",
        "status": "active",
        "close_time": "2026-12-01T00:00:00Z",
        "yes_bid_dollars": "0.4000",
        "yes_ask_dollars": "0.4200",
        "volume_fp": "10.00",
        "open_interest_fp": "5.00",
        "brand_new_field": 1,
    }
    drift = market_drift([orjson.dumps({"markets": [market]}), b"{truncated"])
    assert drift.unknown == {"brand_new_field": 1}
    assert drift.missing_required == {"last_price_dollars": 1}
    assert drift.breaking
