"""Contract: every real Kalshi payload in tests/fixtures/kalshi/samples parses into the domain
models, with the values the payload states (Decimal dollars, aware datetimes), and the fast,
validation-free construction in `kalshi_core.kalshi.wire` yields models pydantic itself accepts
unchanged."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from kalshi_core.kalshi import wire
from kalshi_core.models import Candle, Event, MarketSnapshot
from tests.kalshi_reference import SAMPLES

OBSERVED = datetime(2026, 8, 12, 4, 0, 5, tzinfo=UTC)


def _revalidates(model: BaseModel) -> None:
    """The fast-built model equals what pydantic builds from its own dump (no check skipped)."""
    again = type(model).model_validate(model.model_dump())
    assert again == model


def test_samples_folder_has_the_known_files() -> None:
    # the JSON samples also parametrize a test below: an empty folder must fail here, and a new
    # sample must get a test of its own
    names = sorted(p.name for p in SAMPLES.iterdir())
    assert names == [
        "candlesticks_KXNYKCOACH-25-MNORI_2025_legacy_plus_dollars.json",
        "event_KXMLBGAME-26AUG112140MILSD_2026-08_current_format.json",
        "market_snapshots_KXHIGHNY_2025-11-24_1min_cents.csv",
        "markets_list_2025-10-31_legacy_plus_dollars.json",
    ]


def test_legacy_markets_list_sample_parses() -> None:
    raw: list[dict[str, Any]] = json.loads(
        (SAMPLES / "markets_list_2025-10-31_legacy_plus_dollars.json").read_text()
    )
    body = orjson.dumps({"markets": raw, "cursor": ""})
    records, cursor = wire.parse_markets_page(body, "GET /markets", wire.MarketParser(OBSERVED, 7))
    assert cursor == ""
    assert len(records) == len(raw) == 100
    for rec, src in zip(records, raw, strict=True):
        _revalidates(rec.market)
        _revalidates(rec.snapshot)
        assert rec.market.ticker == src["ticker"] == rec.snapshot.market_ticker
        assert rec.market.status == src["status"]
        assert rec.snapshot.timestamp == OBSERVED
        assert rec.snapshot.sequence == 7
        assert rec.snapshot.source == "rest"
        assert rec.snapshot.yes_bid == Decimal(src["yes_bid_dollars"])
        assert rec.snapshot.last_price == Decimal(src["last_price_dollars"])
        # counts are legacy integers in this sample
        assert rec.snapshot.volume == Decimal(src["volume"])
        assert rec.snapshot.open_interest == Decimal(src["open_interest"])
        assert rec.market.result == (src["result"] or None)
        assert rec.market.tick_size == Decimal("0.01")  # legacy tick_size: 1 cent
        if src["yes_ask"] == 0:
            assert rec.snapshot.yes_ask == 1  # empty ask side normalised to $1
        else:
            assert rec.snapshot.yes_ask == Decimal(src["yes_ask_dollars"])
    statuses = {r.market.status for r in records}
    assert statuses == {"active", "inactive", "closed", "finalized"}
    settled = [r.market for r in records if r.market.result is not None]
    assert settled
    assert all(m.settlement_value in (Decimal(0), Decimal(1)) for m in settled)


def test_current_event_sample_parses_with_its_edge_cases() -> None:
    body = (SAMPLES / "event_KXMLBGAME-26AUG112140MILSD_2026-08_current_format.json").read_bytes()
    rec = wire.parse_event_response(body, "GET /events/X", wire.MarketParser(OBSERVED))
    ev = rec.event
    assert isinstance(ev, Event)
    _revalidates(ev)
    assert ev.event_ticker == "KXMLBGAME-26AUG112140MILSD"
    assert ev.series_ticker == "KXMLBGAME"
    assert ev.mutually_exclusive is True
    assert ev.updated_at is None  # "0001-01-01T00:00:00Z" is Go's zero time, i.e. unknown
    assert ev.strike_date is None
    assert ev.fee_type_override == "quadratic_with_maker_fees"
    assert ev.fee_multiplier_override == 1
    # event.markets is null; the (deprecated) top-level markets are used
    assert [m.market.ticker for m in rec.markets] == [
        "KXMLBGAME-26AUG112140MILSD-MIL",
        "KXMLBGAME-26AUG112140MILSD-SD",
    ]
    mil, sd = rec.markets
    for r in rec.markets:
        _revalidates(r.market)
        _revalidates(r.snapshot)
        assert r.market.series_ticker == "KXMLBGAME"
        assert r.market.result is None  # "" -> None
        assert r.market.updated_at == datetime(2026, 8, 9, 1, 55, 0, 211125, tzinfo=UTC)
        assert r.market.tick_size == Decimal("0.01")
        assert r.market.is_mve is False
    # MIL: empty bid side (0.0000 / 0.00); SD: empty ask side (1.0000 / 0.00)
    assert mil.snapshot.yes_bid == 0
    assert mil.snapshot.yes_bid_size == 0
    assert mil.snapshot.yes_ask == Decimal("0.01")
    assert mil.snapshot.yes_ask_size == Decimal("959786.22")
    assert sd.snapshot.yes_ask == 1
    assert sd.snapshot.yes_ask_size == 0
    assert sd.snapshot.yes_bid == Decimal("0.99")
    assert sd.snapshot.volume == Decimal("1167164.54")
    assert sd.snapshot.open_interest == Decimal("637761.09")
    assert sd.snapshot.yes_price == Decimal("0.99")  # one side empty: last price


def test_candlestick_sample_parses() -> None:
    raw = json.loads(
        (SAMPLES / "candlesticks_KXNYKCOACH-25-MNORI_2025_legacy_plus_dollars.json").read_text()
    )
    body = orjson.dumps(raw)
    candles = wire.parse_candles_response(body, "GET /c", "KXNYKCOACH-25-MNORI", 1440)
    assert len(candles) == len(raw["candlesticks"]) == 11
    for c, src in zip(candles, raw["candlesticks"], strict=True):
        assert isinstance(c, Candle)
        _revalidates(c)
        assert c.end_time == datetime.fromtimestamp(src["end_period_ts"], tz=UTC)
        assert c.yes_ask_close == Decimal(src["yes_ask"]["close_dollars"])
        assert c.yes_bid_open == Decimal(src["yes_bid"]["open_dollars"])
        assert c.open_interest == src["open_interest"]
        if src["price"]["close"] is None:
            assert c.price_close is None
    # the same candles from the cents-only fields (dollars stripped) are identical
    stripped = json.loads(json.dumps(raw))
    for cs in stripped["candlesticks"]:
        for side in ("yes_bid", "yes_ask", "price"):
            for k in [k for k in cs[side] if k.endswith("_dollars")]:
                del cs[side][k]
    again = wire.parse_candles_response(
        orjson.dumps(stripped), "GET /c", "KXNYKCOACH-25-MNORI", 1440
    )
    assert again == candles


def test_polled_snapshot_csv_rows_parse_as_legacy_markets() -> None:
    """The CSV is 67 real polls of GET /markets in integer cents; each row, as the legacy market
    object it came from, parses to the same dollars, and the one-book identity holds."""
    path = SAMPLES / "market_snapshots_KXHIGHNY_2025-11-24_1min_cents.csv"
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 700
    for row in rows:
        observed = datetime.fromisoformat(row["timestamp"])
        market = {
            "ticker": row["ticker"],
            "event_ticker": row["ticker"].rsplit("-", 1)[0],
            "status": "active",
            "yes_bid": int(row["yes_bid"]),
            "yes_ask": int(row["yes_ask"]),
            "no_bid": int(row["no_bid"]),
            "no_ask": int(row["no_ask"]),
            "last_price": int(row["last_price"]),
            "open_interest": int(row["open_interest"]),
            "volume": int(row["volume"]),
            "volume_24h": 0,  # not recorded in the CSV; required by the parser
            "liquidity": int(row["liquidity"]),
        }
        rec = wire.MarketParser(observed).parse(market)
        snap = rec.snapshot
        assert isinstance(snap, MarketSnapshot)
        assert snap.timestamp == observed
        assert snap.yes_bid * 100 == int(row["yes_bid"])
        assert snap.last_price * 100 == int(row["last_price"])
        assert snap.volume == int(row["volume"])
        if int(row["yes_ask"]) > 0:
            assert snap.yes_ask * 100 == int(row["yes_ask"])
            assert snap.no_bid * 100 == int(row["no_bid"])
        assert snap.no_ask * 100 == int(row["no_ask"])


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.json")))
def test_no_float_reaches_a_model(sample: str) -> None:
    """Money stays Decimal: no parsed model of a sample carries a float anywhere."""
    body = (SAMPLES / sample).read_bytes()
    models: list[BaseModel] = []
    if sample.startswith("markets_list"):
        page = orjson.dumps({"markets": orjson.loads(body), "cursor": ""})
        for rec in wire.parse_markets_page(page, "GET /markets", wire.MarketParser(OBSERVED))[0]:
            models += [rec.market, rec.snapshot]
    elif sample.startswith("event_"):
        rec = wire.parse_event_response(body, "GET /events/X", wire.MarketParser(OBSERVED))
        models.append(rec.event)
        for m in rec.markets:
            models += [m.market, m.snapshot]
    else:
        models += wire.parse_candles_response(body, "GET /c", "T", 1440)

    def walk(v: object) -> None:
        assert not isinstance(v, float), v
        if isinstance(v, BaseModel):
            for f in type(v).model_fields:
                walk(getattr(v, f))
        elif isinstance(v, list | tuple):
            for x in v:
                walk(x)

    for m in models:
        walk(m)
    assert models
