"""Response shapes of the API, as documented in its OpenAPI schema.

Money and counts are JSON numbers in dollars / contracts (0.52, not "0.5200"). The market and
history items are written as JSON text by `kalshi_core.storage.postgres.json_reads` (stored fields
by SQL, derived prices by Python), not by these models: here they document exactly what that code
writes, and they are what the schemathesis test checks responses against. The other resources are
serialized from these models by pydantic: a `Decimal` becomes a JSON number through `float`, which
is exact for the values the workbench stores (at most 15 significant digits: the shortest
representation of the double is the original decimal).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from kalshi_core.models import Market

YES_PRICE_DOC = (
    "Implied probability of YES in dollars: the YES mid ((yes_bid + yes_ask) / 2) when both "
    "sides quote (yes_bid > 0, yes_ask < 1, yes_ask >= yes_bid), else the last trade price "
    "(`kalshi_core.models.derive_yes_price`)."
)
NO_PRICE_DOC = "1 - yes_price."


def _number(value: Decimal) -> float:
    return float(value)


JsonNumber = Annotated[
    Decimal, PlainSerializer(_number, return_type=float, when_used="json-unless-none")
]
"""An exact Decimal in Python, a JSON number on the wire."""


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorOut(_Out):
    detail: str = Field(description="What went wrong, in words.")


class QuoteFields(_Out):
    """The quote part of a market item and a history point (prices in dollars)."""

    market_ticker: str
    timestamp: datetime = Field(description="When the quote was observed (UTC).")
    source: Literal["rest", "websocket"]
    sequence: int = Field(description="Ingestion sequence number of the observation.")
    yes_price: float = Field(description=YES_PRICE_DOC)
    no_price: float = Field(description=NO_PRICE_DOC)
    yes_bid: float = Field(description="Best YES bid, dollars.")
    yes_ask: float = Field(description="Best YES ask, dollars (1 - best NO bid).")
    no_bid: float = Field(description="Best NO bid, dollars (1 - yes_ask).")
    no_ask: float = Field(description="Best NO ask, dollars (1 - yes_bid).")
    last_price: float = Field(description="Last trade price, dollars.")
    yes_bid_size: float = Field(description="Contracts at the best YES bid.")
    yes_ask_size: float = Field(description="Contracts at the best YES ask.")
    volume: float = Field(description="Contracts traded over the market's life.")
    volume_24h: float = Field(description="Contracts traded in the last 24 hours.")
    open_interest: float = Field(description="Open contracts.")


class MarketOut(QuoteFields):
    """A market's latest quote (from `market_latest`) with its metadata."""

    status: str | None = Field(description="Kalshi status (active, closed, finalized, ...).")
    title: str | None
    event_ticker: str | None
    series_ticker: str | None
    close_time: datetime | None
    changed_at: datetime | None = Field(description="When the quote last changed (UTC).")


class HistoryPointOut(QuoteFields):
    """One stored snapshot (rows are stored only when the quote changed)."""


class CandleOut(_Out):
    """One candlestick of a market (`market_candles`): dollars and contracts. Trade-price OHLC is
    null for a period without trades; bid/ask OHLC and open interest are null when the source did
    not give them (candles rebuilt from a recorded trade tape)."""

    market_ticker: str = Field(validation_alias="ticker")
    period_minutes: Literal[1, 60, 1440]
    end_time: datetime = Field(description="End of the period (UTC), exclusive.")
    yes_bid_open: JsonNumber | None
    yes_bid_high: JsonNumber | None
    yes_bid_low: JsonNumber | None
    yes_bid_close: JsonNumber | None
    yes_ask_open: JsonNumber | None
    yes_ask_high: JsonNumber | None
    yes_ask_low: JsonNumber | None
    yes_ask_close: JsonNumber | None
    price_open: JsonNumber | None
    price_high: JsonNumber | None
    price_low: JsonNumber | None
    price_close: JsonNumber | None
    volume: JsonNumber = Field(description="Contracts traded in the period.")
    open_interest: JsonNumber | None


class PriceRangeOut(_Out):
    start: JsonNumber
    end: JsonNumber
    step: JsonNumber


class MarketMetaOut(_Out):
    """Market metadata: lifecycle, result and tick structure (no quote)."""

    ticker: str
    event_ticker: str
    series_ticker: str | None
    title: str | None
    yes_sub_title: str
    no_sub_title: str
    market_type: str
    status: str
    open_time: datetime | None
    close_time: datetime | None
    expected_expiration_time: datetime | None
    latest_expiration_time: datetime | None
    settlement_ts: datetime | None
    result: str | None
    settlement_value: JsonNumber | None
    can_close_early: bool
    price_level_structure: str | None
    price_ranges: list[PriceRangeOut]
    tick_size: JsonNumber | None
    is_mve: bool
    updated_at: datetime | None

    @classmethod
    def of(cls, market: Market) -> MarketMetaOut:
        return cls.model_validate(market)


class EventOut(_Out):
    event_ticker: str
    series_ticker: str
    title: str
    sub_title: str
    category: str | None
    mutually_exclusive: bool
    strike_date: datetime | None
    fee_type_override: str | None
    fee_multiplier_override: JsonNumber | None
    updated_at: datetime | None


class EventDetailOut(EventOut):
    markets: list[MarketMetaOut] = Field(description="The event's markets, by ticker.")


class SeriesOut(_Out):
    ticker: str
    title: str
    category: str
    frequency: str
    fee_type: str = Field(description="quadratic, quadratic_with_maker_fees, flat, ...")
    fee_multiplier: JsonNumber
    tags: list[str]
    updated_at: datetime | None


class BacktestSummaryOut(_Out):
    """One backtest run's headline numbers (no equity curve or trades)."""

    id: int
    strategy_name: str
    params: dict[str, Any]
    universe: dict[str, Any]
    data_source: str
    start: datetime
    end: datetime
    total_pnl: JsonNumber = Field(description="Dollars, net of fees.")
    fees_paid: JsonNumber
    settlement_pnl: JsonNumber
    exit_pnl: JsonNumber
    marked_pnl: JsonNumber | None = Field(
        default=None, description="PnL of positions still open at the end, marked at the bid."
    )
    sharpe_ratio: float | None
    sharpe_frequency: str
    max_drawdown: JsonNumber
    win_rate: float | None
    num_trades: int
    deflated_sharpe: float | None
    out_of_sample_sharpe: float | None
    code_version: str
    created_at: datetime | None


class EquityPointOut(_Out):
    timestamp: datetime
    equity: float


class TradeOut(_Out):
    market_ticker: str
    side: str
    entry_time: datetime
    entry_price: JsonNumber
    exit_time: datetime | None
    exit_price: JsonNumber | None
    contracts: JsonNumber
    fees: JsonNumber
    pnl: JsonNumber
    exit_reason: str


class BacktestOut(BacktestSummaryOut):
    equity_curve: list[EquityPointOut]
    trades: list[TradeOut]


class CalibrationSummaryOut(_Out):
    """One stored calibration analysis: scope, parameters and totals (docs/CALIBRATION.md)."""

    id: int
    series_ticker: str | None = Field(description="The series analysed; null: every series.")
    close_window_s: int = Field(
        description="Prints at or after close_time minus this many seconds were left out."
    )
    band_edges: list[JsonNumber] = Field(description="Band edges in dollars, 0 to 1.")
    flat_rate: JsonNumber | None = Field(description="Taker rate used for 'flat' fee series.")
    markets: int = Field(description="Settled markets with at least one observation.")
    observations: int = Field(description="Trade prints analysed.")
    contracts: JsonNumber = Field(description="Contracts of those prints.")
    brier: JsonNumber | None = Field(
        description="Contract-weighted Brier score sum(c (p - y)^2) / sum(c); null: no "
        "observations."
    )
    first_trade_at: datetime | None
    last_trade_at: datetime | None
    exclusions: dict[str, int] = Field(
        description="Prints left out, by reason: unsettled, no_close_time, close_window, "
        "zero_count, zero_price."
    )
    computed_at: datetime | None


class CalibrationBandOut(_Out):
    """One price band; the ratios are null for a band without observations."""

    lower: JsonNumber = Field(description="Dollars, inclusive.")
    upper: JsonNumber = Field(description="Dollars, exclusive (inclusive for the last band).")
    observations: int
    contracts: JsonNumber
    mean_price: JsonNumber | None = Field(description="Contract-weighted mean price, dollars.")
    win_rate: JsonNumber | None = Field(description="Contract-weighted share settled YES.")
    return_after_fees: JsonNumber | None = Field(
        description="Contract-weighted return per dollar of buying YES at the print's price "
        "as a taker and holding to settlement, after Kalshi's taker fee (-0.05 = -5%)."
    )
    fees: JsonNumber = Field(description="Taker fees of the band's prints, dollars.")


class CalibrationOut(CalibrationSummaryOut):
    bands: list[CalibrationBandOut]


IngestionState = Literal["ok", "degraded", "failing", "not_running"]
INGESTION_STATE_DOC = (
    "ok; degraded: a running poller lost ticks in the last hour; failing: everything it "
    "attempted for stale_after_s failed, or under 80% of the last hour's attempted ticks were "
    "ok; not_running: nothing polled for stale_after_s (stopped), or never polled. Periods "
    "when ingestion was not running never make a tier degraded or failing "
    "(kalshi_api.ingestion_health)."
)


class GapOut(_Out):
    start: datetime = Field(description="First lost grid tick.")
    end: datetime = Field(description="Last lost grid tick.")
    kind: Literal["not_running", "failed"] = Field(
        description="not_running: no poller was polling (the workbench was stopped: ticks a "
        "later run recorded as 'no run polled this tick', ticks before a run's first attempt, "
        "ticks never recorded); failed: a running poller attempted the ticks or fell behind."
    )


class CoverageOut(_Out):
    start: datetime
    end: datetime
    expected: int = Field(description="Grid ticks in the window.")
    ok: int
    missed: int = Field(description="Grid ticks recorded as missed or not recorded at all.")
    errors: int
    ratio: float = Field(description="ok / expected (1.0 for an empty window).")
    failed: int = Field(description="Ticks a running poller lost: errors and ticks it missed.")
    not_running: int = Field(description="Ticks no poller was running for.")
    pending: int = Field(description="Newest ticks not recorded yet that may still be in flight.")
    running_ratio: float = Field(
        description="ok / (ok + failed): the share of ticks a running poller got (1.0 if none)."
    )
    gaps: list[GapOut] = Field(description="Runs of lost ticks of one kind, oldest first.")


class PollOut(_Out):
    tick: datetime
    status: str
    error: str | None = None
    retries: int = 0
    http_429s: int = 0
    run_id: str | None = None


TIER_ENABLED_DOC = (
    "Whether this API's settings enable the tier (a watchlist is configured; "
    "CATALOGUE_ENABLED); a disabled tier is expected to be not_running."
)


class TierStatusOut(_Out):
    tier: Literal["watchlist", "catalogue"]
    enabled: bool = Field(description=TIER_ENABLED_DOC)
    status: IngestionState = Field(description=INGESTION_STATE_DOC)
    reasons: list[str] = Field(description="Why the tier has its status, in words.")
    interval_s: int | None = Field(
        description="Poll grid in seconds (configured, or inferred from recorded ticks when the "
        "catalogue cadence is automatic); null when unknown."
    )
    stale_after_s: int | None = Field(
        description="Without a polled tick for this long the tier is not_running (10 grid "
        "intervals, at least 60 s); null when the grid is unknown."
    )
    last_tick: PollOut | None = Field(description="Newest recorded tick, whatever its status.")
    last_ok_tick: datetime | None
    last_live_tick: datetime | None = Field(
        description="Newest tick a running poller attempted (ok or failed)."
    )
    last_hour: CoverageOut | None
    today: CoverageOut | None = Field(description="Since 00:00 UTC.")
    recent_errors: list[PollOut] = Field(description="Error ticks of the last 24 hours.")


class IngestionStatusOut(_Out):
    generated_at: datetime
    tiers: list[TierStatusOut]


class FreshnessOut(_Out):
    tier: Literal["watchlist", "catalogue"]
    enabled: bool = Field(description=TIER_ENABLED_DOC)
    status: IngestionState = Field(description=INGESTION_STATE_DOC)
    reasons: list[str] = Field(description="Why the tier has its status, in words.")
    last_ok_tick: datetime | None
    age_s: float | None = Field(description="Seconds since the last ok tick.")


class HealthOut(_Out):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable"]
    detail: str | None = None
    checked_at: datetime
    ingestion: list[FreshnessOut] = Field(
        description="Ingestion state and freshness per tier; informative only, it never fails "
        "the check (empty when the database does not answer)."
    )
