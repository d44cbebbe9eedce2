"""Schema drift of raw Kalshi market payloads against the known model.

Kalshi changes its wire format (the 2026-03 move to `*_dollars`/`*_fp` fields broke strict
clients). The parser tolerates unknown and missing optional fields, so drift would pass silently;
this module names it so an asset check can show it: fields we do not know (new ones worth
modelling) and required fields that are absent (a breaking change).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

# Market fields of the current API: the official SDK's Market model (kalshi-python-sync 3.34.0);
# tests/pipeline/test_schema_drift.py checks that they match.
CURRENT_MARKET_FIELDS = frozenset(
    [
        "can_close_early",
        "cap_strike",
        "close_time",
        "created_time",
        "custom_strike",
        "early_close_condition",
        "event_ticker",
        "exchange_index",
        "expected_expiration_time",
        "expiration_time",
        "expiration_value",
        "fee_waiver_expiration_time",
        "floor_strike",
        "functional_strike",
        "is_provisional",
        "last_price_dollars",
        "latest_expiration_time",
        "market_type",
        "mve_collection_ticker",
        "mve_selected_legs",
        "no_ask_dollars",
        "no_bid_dollars",
        "no_sub_title",
        "notional_value_dollars",
        "occurrence_datetime",
        "open_interest_fp",
        "open_time",
        "previous_price_dollars",
        "previous_yes_ask_dollars",
        "previous_yes_bid_dollars",
        "price_level_structure",
        "price_ranges",
        "primary_participant_key",
        "result",
        "rules_primary",
        "rules_secondary",
        "settlement_bounds_type",
        "settlement_floor_dollars",
        "settlement_timer_seconds",
        "settlement_ts",
        "settlement_value_dollars",
        "status",
        "strike_type",
        "subtitle",
        "ticker",
        "title",
        "updated_time",
        "volume_24h_fp",
        "volume_fp",
        "yes_ask_dollars",
        "yes_ask_size_fp",
        "yes_bid_dollars",
        "yes_bid_size_fp",
        "yes_sub_title",
    ]
)
# Fields of older formats (pre-2026-03 cents; spec 3.13), still found in recorded data.
LEGACY_MARKET_FIELDS = frozenset(
    [
        "fractional_trading_enabled",
        "category",
        "last_price",
        "liquidity",
        "liquidity_dollars",
        "no_ask",
        "no_bid",
        "notional_value",
        "open_interest",
        "previous_price",
        "previous_yes_ask",
        "previous_yes_bid",
        "response_price_units",
        "risk_limit_cents",
        "tick_size",
        "volume",
        "volume_24h",
        "yes_ask",
        "yes_bid",
        "settlement_value",
        "yes_bid_size",
        "yes_ask_size",
    ]
)
REQUIRED_MARKET_FIELDS = frozenset(
    [
        "ticker",
        "event_ticker",
        "market_type",
        "status",
        "close_time",
        "yes_bid_dollars",
        "yes_ask_dollars",
        "last_price_dollars",
        "volume_fp",
        "open_interest_fp",
    ]
)


@dataclass(slots=True)
class Drift:
    markets_checked: int = 0
    unknown: dict[str, int] = field(default_factory=dict)  # field -> markets carrying it
    missing_required: dict[str, int] = field(default_factory=dict)

    @property
    def breaking(self) -> bool:
        return bool(self.missing_required)


def market_drift(pages: Iterable[bytes], sample_per_page: int = 50) -> Drift:
    """Compare the market objects of raw `/markets` pages with the known fields (a sample of each
    page: drift is a property of the format, not of single markets)."""
    drift = Drift()
    for body in pages:
        try:
            payload: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            continue  # a malformed page already failed its tick; drift looks at what parsed
        items = payload.get("markets", []) if isinstance(payload, dict) else []
        for market in items[:sample_per_page]:
            if not isinstance(market, dict):
                continue
            drift.markets_checked += 1
            keys = market.keys()
            for k in keys - CURRENT_MARKET_FIELDS - LEGACY_MARKET_FIELDS:
                drift.unknown[k] = drift.unknown.get(k, 0) + 1
            for k in REQUIRED_MARKET_FIELDS - keys:
                # a legacy payload carries the cent field instead of the dollars one
                legacy = k.removesuffix("_dollars").removesuffix("_fp")
                if legacy not in keys:
                    drift.missing_required[k] = drift.missing_required.get(k, 0) + 1
    return drift
