"""The database schema as SQLAlchemy Core metadata.

This is the schema's description for Alembic (autogenerate compares it with a live database) and
for readers who want one place to look. The migrations under `migrations/versions/` are the frozen
DDL that creates it; runtime queries use asyncpg with hand-written SQL.

Layout choices that matter:
- `market_snapshots` is range-partitioned by UTC day on `observed_at`; a row references its market
  by an int4 `market_id` and stores `source` as a smallint (0 = rest, 1 = websocket) so a row stays
  small. Only changed quotes are stored; `market_latest` holds one row per market. Both hold the
  quote as exact integers (migration 0009): prices in int4 micro-dollars, counts in int8
  centi-contracts; `kalshi_core.units` converts to and from Decimal at the edges.
- `raw_pages` is range-partitioned by UTC day on `fetched_at` so retention drops whole partitions.
- `markets.event_ticker IS NULL` marks a placeholder row: a ticker seen in a snapshot before its
  metadata arrived.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP

from kalshi_core.units import MAX_PRICE_MICROS

metadata = MetaData()

TZ = TIMESTAMP(timezone=True)

SOURCE_CODES: dict[str, int] = {"rest": 0, "websocket": 1}
"""`market_snapshots.source` smallint codes."""
SOURCE_NAMES: dict[int, str] = {v: k for k, v in SOURCE_CODES.items()}

QUOTE_COLUMNS: tuple[str, ...] = (
    "yes_bid",
    "yes_ask",
    "last_price",
    "yes_bid_size",
    "yes_ask_size",
    "volume",
    "volume_24h",
    "open_interest",
)
"""The quote fields, in `MarketSnapshot.quote_key()` order."""


QUOTE_PRICES: tuple[str, ...] = ("yes_bid", "yes_ask", "last_price")
"""Quote columns holding prices: int4 micro-dollars (`kalshi_core.units`, migration 0009)."""
QUOTE_COUNTS: tuple[str, ...] = tuple(c for c in QUOTE_COLUMNS if c not in QUOTE_PRICES)
"""Quote columns holding contract counts: int8 centi-contracts."""
_PRICE_COMMENT = "micro-dollars: 1 = $0.000001, 1000000 = $1 (migration 0009)"
_COUNT_COMMENT = "centi-contracts: 1 = 0.01 contract (migration 0009)"


def _quote_columns() -> list[Column[int]]:
    # exact integers (kalshi_core.units converts at the edges): prices in micro-dollars, counts
    # in centi-contracts, so Kalshi's 6-decimal prices and 2-decimal counts are held exactly
    return [
        Column(name, Integer, nullable=False, comment=_PRICE_COMMENT)
        if name in QUOTE_PRICES
        else Column(name, BigInteger, nullable=False, comment=_COUNT_COMMENT)
        for name in QUOTE_COLUMNS
    ]


def _quote_checks(prefix: str) -> list[CheckConstraint]:
    checks = [
        CheckConstraint(f"{p} >= 0 AND {p} <= {MAX_PRICE_MICROS}", name=f"{prefix}_{p}_range")
        for p in QUOTE_PRICES
    ]
    checks += [CheckConstraint(f"{c} >= 0", name=f"{prefix}_{c}_nonneg") for c in QUOTE_COUNTS]
    return checks


series = Table(
    "series",
    metadata,
    Column("ticker", Text, primary_key=True),
    Column("title", Text, nullable=False, server_default=""),
    Column("category", Text, nullable=False, server_default=""),
    Column("frequency", Text, nullable=False, server_default=""),
    Column("fee_type", Text, nullable=False, server_default="quadratic"),
    Column("fee_multiplier", Numeric, nullable=False, server_default="1"),
    Column("tags", ARRAY(Text), nullable=False, server_default="{}"),
    Column("updated_at", TZ),
)

events = Table(
    "events",
    metadata,
    Column("event_ticker", Text, primary_key=True),
    Column("series_ticker", Text, nullable=False),
    Column("title", Text, nullable=False, server_default=""),
    Column("sub_title", Text, nullable=False, server_default=""),
    Column("category", Text),
    Column("mutually_exclusive", Boolean, nullable=False, server_default=text("false")),
    Column("strike_date", TZ),
    Column("fee_type_override", Text),
    Column("fee_multiplier_override", Numeric),
    Column("updated_at", TZ),
    Index("events_series_ticker_idx", "series_ticker"),
)

markets = Table(
    "markets",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("ticker", Text, nullable=False),
    Column("event_ticker", Text),
    Column("series_ticker", Text),
    Column("title", Text),
    Column("yes_sub_title", Text, nullable=False, server_default=""),
    Column("no_sub_title", Text, nullable=False, server_default=""),
    Column("market_type", Text, nullable=False, server_default="binary"),
    Column("status", Text),
    Column("open_time", TZ),
    Column("close_time", TZ),
    Column("expected_expiration_time", TZ),
    Column("latest_expiration_time", TZ),
    Column("settlement_ts", TZ),
    Column("result", Text),
    Column("settlement_value", Numeric),
    Column("can_close_early", Boolean, nullable=False, server_default=text("false")),
    Column("price_level_structure", Text),
    Column("price_ranges", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("tick_size", Numeric),
    Column("is_mve", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", TZ),
    Column("created_at", TZ, nullable=False, server_default=text("now()")),
    UniqueConstraint("ticker", name="markets_ticker_key"),
    Index("markets_event_ticker_idx", "event_ticker"),
    Index("markets_series_ticker_idx", "series_ticker"),
    Index("markets_status_idx", "status"),
    Index(
        "markets_ticker_trgm_idx",
        "ticker",
        postgresql_using="gin",
        postgresql_ops={"ticker": "gin_trgm_ops"},
    ),
    Index(
        "markets_title_trgm_idx",
        "title",
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    ),
)

market_snapshots = Table(
    "market_snapshots",
    metadata,
    # Column order is physical order: 8-byte columns first, then 4 and 2, then the quote
    # (converted in place from NUMERIC by migration 0009, so its columns keep their places).
    Column("observed_at", TZ, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    # References markets.id, deliberately without a FOREIGN KEY (see migration 0001).
    Column("market_id", Integer, nullable=False),
    Column("source", SmallInteger, nullable=False),
    *_quote_columns(),
    PrimaryKeyConstraint("market_id", "observed_at", name="market_snapshots_pkey"),
    CheckConstraint("source IN (0, 1)", name="market_snapshots_source_code"),
    *_quote_checks("market_snapshots"),
    postgresql_partition_by="RANGE (observed_at)",
)

market_latest = Table(
    "market_latest",
    metadata,
    Column("market_id", Integer, ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True),
    Column("observed_at", TZ, nullable=False),  # the last observation (fresh every tick)
    Column("changed_at", TZ, nullable=False),  # observed_at of the last stored (changed) row
    Column("sequence", BigInteger, nullable=False),
    Column("source", SmallInteger, nullable=False),
    *_quote_columns(),
    # the market's most recent observation times (bounded), complete from seen_from (NULL: since
    # first seen): what a late commit needs to keep the history as-of exact (migration 0006)
    Column("seen", ARRAY(TZ), nullable=False, server_default="{}"),
    Column("seen_from", TZ),
    # per tier, the open coverage span: first observation of the span .. next tick that was due
    *[Column(f"{p}_{edge}", TZ) for p in ("wl", "cat") for edge in ("since", "until")],
    postgresql_with={"fillfactor": "40"},
)

TIER_PREFIXES: dict[str, str] = {"watchlist": "wl", "catalogue": "cat"}
"""Ingestion tier -> the prefix of its coverage columns in `market_latest`."""

market_coverage = Table(
    "market_coverage",
    metadata,
    Column("market_id", Integer, ForeignKey("markets.id", ondelete="CASCADE"), nullable=False),
    Column("tier", Text, nullable=False),
    Column("since", TZ, nullable=False),
    Column("until", TZ, nullable=False),
    PrimaryKeyConstraint("market_id", "tier", "since", name="market_coverage_pkey"),
    CheckConstraint("tier IN ('watchlist', 'catalogue')", name="market_coverage_tier"),
    CheckConstraint("until > since", name="market_coverage_order"),
)
"""Closed coverage spans: the market was observed by `tier` on every grid tick from `since`
until the tick due at `until` (exclusive). Open spans live in `market_latest`."""

ingest_polls = Table(
    "ingest_polls",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("tier", Text, nullable=False),
    Column("tick", TZ, nullable=False),
    Column("started_at", TZ),
    Column("finished_at", TZ),
    Column("markets_seen", Integer, nullable=False, server_default="0"),
    Column("rows_written", Integer, nullable=False, server_default="0"),
    Column("retries", Integer, nullable=False, server_default="0"),
    Column("http_429s", Integer, nullable=False, server_default="0"),
    Column("status", Text, nullable=False),
    Column("error", Text),
    Column("run_id", Text),
    Column("recorded_at", TZ, nullable=False, server_default=text("now()")),
    Column("interval_s", Integer),  # the tier's grid interval at this tick (migration 0006)
    UniqueConstraint("tier", "tick", name="ingest_polls_tier_tick_key"),
    CheckConstraint("status IN ('ok', 'missed', 'error')", name="ingest_polls_status"),
    CheckConstraint("tier IN ('watchlist', 'catalogue')", name="ingest_polls_tier"),
    CheckConstraint("interval_s IS NULL OR interval_s > 0", name="ingest_polls_interval_s"),
)

raw_pages = Table(
    "raw_pages",
    metadata,
    Column("fetched_at", TZ, nullable=False),
    Column("id", BigInteger, nullable=False, server_default=text("nextval('raw_pages_id_seq')")),
    Column("endpoint", Text, nullable=False),
    Column("params", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("cursor", Text),
    Column("compression", Text, nullable=False),
    Column("raw_size", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    PrimaryKeyConstraint("fetched_at", "id", name="raw_pages_pkey"),
    CheckConstraint("compression IN ('zlib', 'zstd', 'none')", name="raw_pages_compression"),
    postgresql_partition_by="RANGE (fetched_at)",
)

backtest_results = Table(
    "backtest_results",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("strategy_name", Text, nullable=False),
    Column("params", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("universe", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("data_source", Text, nullable=False),
    Column("start_at", TZ, nullable=False),
    Column("end_at", TZ, nullable=False),
    Column("total_pnl", Numeric, nullable=False),
    Column("fees_paid", Numeric, nullable=False),
    Column("settlement_pnl", Numeric, nullable=False),
    Column("exit_pnl", Numeric, nullable=False),
    Column("marked_pnl", Numeric, nullable=False, server_default="0"),
    Column("sharpe_ratio", Double),
    Column("sharpe_frequency", Text, nullable=False),
    Column("max_drawdown", Numeric, nullable=False),
    Column("win_rate", Double),
    Column("num_trades", Integer, nullable=False),
    Column("deflated_sharpe", Double),
    Column("out_of_sample_sharpe", Double),
    Column("equity_curve", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("trades", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("code_version", Text, nullable=False, server_default=""),
    Column("created_at", TZ, nullable=False, server_default=text("now()")),
    CheckConstraint("num_trades >= 0", name="backtest_results_num_trades"),
    Index("backtest_results_created_idx", "created_at"),
    Index("backtest_results_strategy_created_idx", "strategy_name", "created_at"),
)

# --- migration 2: history backfill -------------------------------------------------------------

market_trades = Table(
    "market_trades",
    metadata,
    Column("trade_id", Text, primary_key=True),
    Column("ticker", Text, nullable=False),
    Column("created_time", TZ, nullable=False),
    Column("yes_price", Numeric, nullable=False),
    Column("count", Numeric, nullable=False),
    Column("taker_side", Text),
    Column("is_block_trade", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("yes_price >= 0 AND yes_price <= 1", name="market_trades_yes_price_range"),
    CheckConstraint("count >= 0", name="market_trades_count_nonneg"),
    CheckConstraint("taker_side IN ('yes', 'no')", name="market_trades_taker_side"),
    Index("market_trades_ticker_time_idx", "ticker", "created_time"),
)

_CANDLE_PRICES = tuple(
    f"{side}_{part}"
    for side in ("yes_bid", "yes_ask", "price")
    for part in ("open", "high", "low", "close")
)

market_candles = Table(
    "market_candles",
    metadata,
    Column("ticker", Text, nullable=False),
    Column("period_minutes", SmallInteger, nullable=False),
    Column("end_time", TZ, nullable=False),
    # NULL quotes / open interest: unknown (candles rebuilt from a trade tape, migration 0008)
    *[Column(c, Numeric, nullable=True) for c in _CANDLE_PRICES],
    Column("volume", Numeric, nullable=False),
    Column("open_interest", Numeric, nullable=True),
    PrimaryKeyConstraint("ticker", "period_minutes", "end_time", name="market_candles_pkey"),
    CheckConstraint("period_minutes IN (1, 60, 1440)", name="market_candles_period"),
    *[
        CheckConstraint(f"{c} >= 0 AND {c} <= 1", name=f"market_candles_{c}_range")
        for c in _CANDLE_PRICES
    ],
)

# --- migration 5: close-time history ------------------------------------------------------

# Each market's close_time as known over time, written by triggers on `markets` (see migration
# 0005): the close known at t is the row with the greatest known_from <= t.
market_close_times = Table(
    "market_close_times",
    metadata,
    Column(
        "market_id",
        Integer,
        ForeignKey("markets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("known_from", TZ, nullable=False),
    Column("close_time", TZ),  # NULL: the metadata gave no close from known_from on
    PrimaryKeyConstraint("market_id", "known_from", name="market_close_times_pkey"),
)

# --- migration 7: calibration analyses -----------------------------------------------------

# One row per analysis (scope + parameters); the ~10 bands are read and written whole, so they are
# jsonb with Decimal figures as strings (see migration 0007 and docs/CALIBRATION.md).
calibration_results = Table(
    "calibration_results",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("series_ticker", Text),  # NULL: every series
    Column("close_window_s", Integer, nullable=False),
    Column("band_edges", ARRAY(Numeric), nullable=False),
    Column("flat_rate", Numeric),
    Column("markets", Integer, nullable=False),
    Column("observations", BigInteger, nullable=False),
    Column("contracts", Numeric, nullable=False),
    Column("brier", Numeric),
    Column("first_trade_at", TZ),
    Column("last_trade_at", TZ),
    Column("exclusions", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("bands", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("computed_at", TZ, nullable=False, server_default=text("now()")),
    CheckConstraint("close_window_s >= 0", name="calibration_results_close_window_s"),
    CheckConstraint("cardinality(band_edges) >= 2", name="calibration_results_band_edges"),
    CheckConstraint(
        "markets >= 0 AND observations >= 0 AND contracts >= 0", name="calibration_results_counts"
    ),
    Index("calibration_results_series_computed_idx", "series_ticker", "computed_at"),
)

# --- migration 10: the Parquet archive of finished days -----------------------------------

# One row per archived (table, UTC day): the verified file; once readers take the day from the
# file, `retired_at` (migration 11); once the day's partition is dropped, `dropped_at`
# (see docs/ARCHIVE.md).
archived_days = Table(
    "archived_days",
    metadata,
    Column("table_name", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("url", Text, nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("checksum", Text, nullable=False),
    Column("written_at", TZ, nullable=False),
    Column("verified_at", TZ),
    Column("dropped_at", TZ),
    PrimaryKeyConstraint("table_name", "day", name="archived_days_pkey"),
    CheckConstraint("rows >= 0 AND bytes > 0", name="archived_days_counts"),
    CheckConstraint(
        "dropped_at IS NULL OR verified_at IS NOT NULL", name="archived_days_dropped_verified"
    ),
    Column("retired_at", TZ),
    CheckConstraint(
        "retired_at IS NULL OR verified_at IS NOT NULL", name="archived_days_retired_verified"
    ),
    CheckConstraint(
        "dropped_at IS NULL OR retired_at IS NOT NULL", name="archived_days_dropped_retired"
    ),
)

PARTITIONED: dict[str, str] = {"market_snapshots": "observed_at", "raw_pages": "fetched_at"}
"""Day-partitioned tables and their partition key column."""

DATA_TABLES: tuple[str, ...] = (
    "archived_days",
    "market_snapshots",
    "market_coverage",
    "market_latest",
    "raw_pages",
    "ingest_polls",
    "backtest_results",
    "calibration_results",
    "market_trades",
    "market_candles",
    "market_close_times",
    "markets",
    "events",
    "series",
)
"""Every table holding data (not the Alembic version table), children before parents."""
