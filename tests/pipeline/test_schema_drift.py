"""Contract: schema drift of raw /markets payloads is named — unknown fields reported, missing
required fields flagged as breaking — while real recorded pages (legacy + dollars) pass; the known
current fields are exactly the official SDK's Market model, and the 3.13 spec's are all known."""

import orjson
import yaml

from kalshi_pipeline.lib.schema_drift import (
    CURRENT_MARKET_FIELDS,
    LEGACY_MARKET_FIELDS,
    REQUIRED_MARKET_FIELDS,
    market_drift,
)
from tests.kalshi_reference import OPENAPI, SAMPLES, sdk_models


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


def test_current_fields_are_the_sdk_market_model() -> None:
    market = sdk_models().Market
    assert set(market.model_fields) == CURRENT_MARKET_FIELDS
    required = {name for name, f in market.model_fields.items() if f.is_required()}
    assert required >= REQUIRED_MARKET_FIELDS


def test_every_field_of_the_3_13_spec_is_known() -> None:
    with OPENAPI.open() as fh:
        spec = yaml.safe_load(fh)
    fields = set(spec["components"]["schemas"]["Market"]["properties"])
    assert fields - CURRENT_MARKET_FIELDS - LEGACY_MARKET_FIELDS == set()
