"""Domain models shared by every package: Decimal money, timezone-aware datetimes only.

These are the workbench's own shapes (what the storage layer reads and writes), not Kalshi's wire
shapes; `kalshi_core.kalshi` parses wire payloads into them. A naive datetime is rejected with a
clear error, and so is a price outside [0, 1].
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

ZERO = Decimal(0)
ONE = Decimal(1)


def _aware(v: datetime) -> datetime:
    if v.tzinfo is None or v.tzinfo.utcoffset(v) is None:
        raise ValueError(
            f"naive datetime {v.isoformat()} rejected: timestamps must be timezone-aware "
            "(e.g. datetime.now(UTC))"
        )
    return v


def _price(v: Decimal) -> Decimal:
    if not v.is_finite() or v < ZERO or v > ONE:
        raise ValueError(f"price {v} out of range: Kalshi prices are dollars in [0, 1]")
    return v


def _count(v: Decimal) -> Decimal:
    if not v.is_finite() or v < ZERO:
        raise ValueError(f"count {v} must be a finite number >= 0")
    return v


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
"""A datetime that must carry a timezone."""
Price = Annotated[Decimal, AfterValidator(_price)]
"""Dollars per contract in [0, 1], exact."""
Count = Annotated[Decimal, AfterValidator(_count)]
"""Contracts (fractional since 2026: `*_fp` strings), exact, >= 0."""

SnapshotSource = Literal["rest", "websocket"]


class MarketStatus(StrEnum):
    """Status values as Kalshi *returns* them (queries use open/closed/settled instead)."""

    INITIALIZED = "initialized"
    INACTIVE = "inactive"
    ACTIVE = "active"
    CLOSED = "closed"
    DETERMINED = "determined"
    DISPUTED = "disputed"
    AMENDED = "amended"
    FINALIZED = "finalized"
    SETTLED = "settled"  # legacy value seen in old recorded data


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MarketSnapshot(_Frozen):
    """One observation of a market's top of book.

    The seed's fields (`market_ticker`, `yes_price`, `no_price`, `volume`, `timestamp`, `source`,
    `sequence`) stay; `timestamp` is the observed tick (column `observed_at`). `yes_price` is the
    YES mid when both sides quote, else the last trade price (see `derive_yes_price`).
    The NO side is not stored: Kalshi's book is one book, so no_bid = 1 - yes_ask and
    no_ask = 1 - yes_bid always.
    """

    market_ticker: str = Field(min_length=1, max_length=200)
    timestamp: AwareDatetime
    source: SnapshotSource = "rest"
    sequence: int = Field(ge=0)
    yes_bid: Price
    yes_ask: Price
    last_price: Price
    yes_bid_size: Count = ZERO
    yes_ask_size: Count = ZERO
    volume: Count = ZERO
    volume_24h: Count = ZERO
    open_interest: Count = ZERO

    @property
    def no_bid(self) -> Decimal:
        return ONE - self.yes_ask

    @property
    def no_ask(self) -> Decimal:
        return ONE - self.yes_bid

    @property
    def yes_price(self) -> Decimal:
        return derive_yes_price(self.yes_bid, self.yes_ask, self.last_price)

    @property
    def no_price(self) -> Decimal:
        return ONE - self.yes_price

    def implied_probability(self) -> Decimal:
        """Market-implied probability of YES (the seed's definition: the YES price)."""
        return self.yes_price

    def quote_key(self) -> tuple[Decimal, ...]:
        """The fields whose change makes a new stored row (change-only storage)."""
        return (
            self.yes_bid,
            self.yes_ask,
            self.last_price,
            self.yes_bid_size,
            self.yes_ask_size,
            self.volume,
            self.volume_24h,
            self.open_interest,
        )


def derive_yes_price(yes_bid: Decimal, yes_ask: Decimal, last_price: Decimal) -> Decimal:
    """YES mid when both sides quote (bid > 0 and ask < 1), else the last trade price."""
    if yes_bid > ZERO and yes_ask < ONE and yes_ask >= yes_bid:
        return (yes_bid + yes_ask) / 2
    return last_price


class PriceRange(_Frozen):
    start: Decimal
    end: Decimal
    step: Decimal


class Series(_Frozen):
    ticker: str
    title: str = ""
    category: str = ""
    frequency: str = ""
    fee_type: str = "quadratic"
    fee_multiplier: Decimal = ONE
    tags: list[str] = Field(default_factory=list)
    updated_at: AwareDatetime | None = None


class Event(_Frozen):
    event_ticker: str
    series_ticker: str
    title: str = ""
    sub_title: str = ""
    category: str | None = None
    mutually_exclusive: bool = False
    strike_date: AwareDatetime | None = None
    fee_type_override: str | None = None
    fee_multiplier_override: Decimal | None = None
    updated_at: AwareDatetime | None = None


class Market(_Frozen):
    """Market metadata (not the quote): lifecycle, result, fees and tick structure."""

    ticker: str
    event_ticker: str
    series_ticker: str | None = None
    title: str | None = None
    yes_sub_title: str = ""
    no_sub_title: str = ""
    market_type: Literal["binary", "scalar"] = "binary"
    status: str
    open_time: AwareDatetime | None = None
    close_time: AwareDatetime | None = None
    expected_expiration_time: AwareDatetime | None = None
    latest_expiration_time: AwareDatetime | None = None
    settlement_ts: AwareDatetime | None = None
    result: str | None = None  # "yes" | "no" | "scalar" | "" / None while open
    settlement_value: Decimal | None = None
    can_close_early: bool = False
    price_level_structure: str | None = None
    price_ranges: list[PriceRange] = Field(default_factory=list)
    tick_size: Decimal | None = None
    is_mve: bool = False
    updated_at: AwareDatetime | None = None

    @field_validator("result", mode="before")
    @classmethod
    def _empty_result_is_none(cls, v: Any) -> Any:
        return None if v == "" else v


class IngestPoll(_Frozen):
    """One poll tick: done, partial or missed. Coverage and gaps are computed from these rows."""

    tier: Literal["watchlist", "catalogue"] = "watchlist"
    tick: AwareDatetime
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    markets_seen: int = 0
    rows_written: int = 0
    retries: int = 0
    http_429s: int = 0
    status: Literal["ok", "missed", "error"] = "ok"
    error: str | None = None
    run_id: str | None = None
    # The tier's grid interval at this tick. With it, `save_many` records which markets the
    # tick covered (coverage spans); without it the snapshots carry no coverage.
    interval_s: int | None = Field(default=None, gt=0)


class BacktestTrade(_Frozen):
    market_ticker: str
    side: Literal["yes", "no"] = "yes"
    entry_time: AwareDatetime
    entry_price: Decimal
    exit_time: AwareDatetime | None = None
    exit_price: Decimal | None = None
    contracts: Decimal
    fees: Decimal
    pnl: Decimal
    # "stop" (trailing stop) and "timeout" (time limit) were added by the backtest engine.
    exit_reason: Literal["signal", "stop", "timeout", "settlement", "void", "end_of_data"] = (
        "signal"
    )


class BacktestResult(_Frozen):
    """One backtest run. The seed's columns plus params, data window, fees and PnL split."""

    id: int | None = None
    strategy_name: str
    params: dict[str, Any] = Field(default_factory=dict)
    universe: dict[str, Any] = Field(default_factory=dict)
    data_source: Literal["snapshots", "candles", "trades"] = "snapshots"
    start: AwareDatetime
    end: AwareDatetime
    total_pnl: Decimal
    fees_paid: Decimal
    settlement_pnl: Decimal
    exit_pnl: Decimal
    # Gross of fees like settlement_pnl/exit_pnl: positions still open at the end of the data,
    # marked at the bid. total_pnl = settlement_pnl + exit_pnl + marked_pnl - fees_paid.
    marked_pnl: Decimal = Decimal(0)
    sharpe_ratio: float | None = None
    sharpe_frequency: str = "1h"
    max_drawdown: Decimal
    win_rate: float | None = None
    num_trades: int = Field(ge=0)
    deflated_sharpe: float | None = None
    out_of_sample_sharpe: float | None = None
    equity_curve: list[tuple[datetime, float]] = Field(default_factory=list)
    trades: list[BacktestTrade] = Field(default_factory=list)
    code_version: str = ""
    created_at: AwareDatetime | None = None


class Trade(_Frozen):
    """A public trade print (`/markets/trades`, `/historical/trades`)."""

    trade_id: str
    ticker: str
    created_time: AwareDatetime
    yes_price: Price
    count: Count
    taker_side: Literal["yes", "no"] | None = None
    is_block_trade: bool = False


class Candle(_Frozen):
    """One candlestick: trade-price OHLC only when trades happened; bid/ask OHLC and open
    interest whenever the source knows them (Kalshi always sends them; a candle rebuilt from a
    recorded trade tape has none, and they stay None rather than be made up)."""

    ticker: str
    period_minutes: Literal[1, 60, 1440]
    end_time: AwareDatetime
    yes_bid_open: Price | None = None
    yes_bid_high: Price | None = None
    yes_bid_low: Price | None = None
    yes_bid_close: Price | None = None
    yes_ask_open: Price | None = None
    yes_ask_high: Price | None = None
    yes_ask_low: Price | None = None
    yes_ask_close: Price | None = None
    price_open: Price | None = None
    price_high: Price | None = None
    price_low: Price | None = None
    price_close: Price | None = None
    volume: Count = ZERO
    open_interest: Count | None = None


class OrderBookLevel(_Frozen):
    """One price level of resting bids: `count` contracts bid at `price` dollars."""

    price: Price
    count: Count


class OrderBook(_Frozen):
    """A market's order book as Kalshi publishes it: bids only, on both sides.

    A NO bid at p is a YES ask at 1 - p, so the YES ask side is derived from `no_bids`. Levels are
    ordered best first (highest bid first). An empty side quotes bid 0 / ask 1 with size 0.
    """

    market_ticker: str = Field(min_length=1, max_length=200)
    yes_bids: list[OrderBookLevel] = Field(default_factory=list)
    no_bids: list[OrderBookLevel] = Field(default_factory=list)

    @property
    def best_yes_bid(self) -> Decimal:
        return self.yes_bids[0].price if self.yes_bids else ZERO

    @property
    def best_yes_bid_size(self) -> Decimal:
        return self.yes_bids[0].count if self.yes_bids else ZERO

    @property
    def best_yes_ask(self) -> Decimal:
        return ONE - self.no_bids[0].price if self.no_bids else ONE

    @property
    def best_yes_ask_size(self) -> Decimal:
        return self.no_bids[0].count if self.no_bids else ZERO
