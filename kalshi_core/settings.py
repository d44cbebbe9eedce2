"""One settings object for every process of the workbench (Dagster, API, simulator, notebooks).

Values come from the environment (or a `.env` file); `.env.example` lists every variable.
Secrets are `SecretStr` so they never print in a repr or a log line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PRODUCTION_BASE_URL = "https://api.elections.kalshi.com/trade-api/v2"
DEMO_BASE_URL = "https://demo-api.kalshi.co/trade-api/v2"
SIMULATOR_BASE_URL = "http://127.0.0.1:8765/trade-api/v2"
DEFAULT_ARCHIVE_DIR = Path(__file__).resolve().parent.parent / ".data" / "archive"
"""The archive's default home: `.data/archive` in the project folder (beside the logs)."""
ARCHIVE_DROP_MARGIN_S = 10.0
"""The least ARCHIVE_DROP_GRACE_S exceeds ARCHIVE_CATALOGUE_TTL_S by: it covers a stalled commit
between stamping a day as served from its file and readers seeing it, and clock drift."""


class Settings(BaseSettings):
    """Process-wide configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    # --- storage ---
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/kalshi",
        description="PostgreSQL URL (postgresql://user[:password]@host:port/db).",
    )
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    partition_days_ahead: int = Field(
        default=3, ge=1, description="Daily snapshot partitions created ahead of today."
    )
    raw_page_retention_days: int = Field(
        default=7,
        ge=0,
        description="Raw API pages older than this are dropped nightly (0 = keep only today).",
    )
    raw_pages_watchlist_every_s: int = Field(
        default=60,
        ge=0,
        description="Keep the watchlist's raw pages of one tick per this many seconds (plus every "
        "incomplete or anomalous tick); 0 = every tick (about 13 GB/day for 1,000 markets).",
    )
    raw_pages_catalogue_every_s: int = Field(
        default=900,
        ge=0,
        description="The same for the catalogue tier (a full scan is ~100 pages); 0 = every scan.",
    )
    archive_url: str = Field(
        default=str(DEFAULT_ARCHIVE_DIR),
        description="Where finished snapshot days go as Parquet (docs/ARCHIVE.md): a local folder "
        "or any fsspec URL (s3://bucket/prefix, file:///path, ...).",
    )
    archive_storage_options: dict[str, Any] = Field(
        default_factory=dict,
        description="fsspec storage options of ARCHIVE_URL as a JSON object, e.g. "
        '{"client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"}} for an S3-compatible '
        "store (credentials are better left to the store's own environment variables).",
    )
    archive_hot_days: int = Field(
        default=7,
        ge=1,
        description="Days kept in PostgreSQL: an archived (verified) day older than this has its "
        "partition dropped and is read from the archive.",
    )
    archive_catalogue_ttl_s: float = Field(
        default=30.0,
        ge=0,
        description="How long a process (API, notebook, Dagster run) reads with its list of the "
        "days served from the archive before reading the list again.",
    )
    archive_drop_grace_s: float = Field(
        default=90.0,
        ge=0,
        description="A day's partition is dropped only once the day has been served from its file "
        "for this long: at least ARCHIVE_CATALOGUE_TTL_S + 10 s, so every process has switched "
        "to the file (docs/ARCHIVE.md). Every process must use the same two values.",
    )
    archive_drop_wait_s: float = Field(
        default=300.0,
        ge=0,
        description="How long the archive job may wait for that grace before dropping; a day "
        "whose grace ends later is dropped by the next run (0 = always by the next run).",
    )

    # --- Kalshi API ---
    kalshi_base_url: str = Field(
        default=PRODUCTION_BASE_URL,
        description="Trade API v2 base URL incl. /trade-api/v2 (the simulator: "
        + SIMULATOR_BASE_URL
        + ").",
    )
    kalshi_api_key_id: str | None = None
    kalshi_private_key_path: Path | None = None
    kalshi_private_key: SecretStr | None = None
    kalshi_rate_limit_per_s: float = Field(
        default=20.0,
        ge=0,
        description="Read budget of your Kalshi tier (Basic: 20/s); 0 turns limiting off.",
    )
    kalshi_rate_burst: int = Field(
        default=20, ge=0, description="Bucket size; 0 turns limiting off."
    )
    kalshi_max_retries: int = Field(default=6, ge=0)
    kalshi_timeout_s: float = Field(default=10.0, gt=0)
    kalshi_mve_filter: str = Field(default="exclude")

    # --- ingestion ---
    poll_interval_s: int = Field(default=5, ge=1, description="Watchlist poll grid (seconds).")
    poll_window_s: int = Field(default=300, ge=10, description="Length of one ingestion run.")
    catalogue_enabled: bool = Field(default=True, description="Scan all open markets too.")
    catalogue_interval_s: int = Field(
        default=0,
        ge=0,
        description="Catalogue scan cadence in seconds (>= 15); 0 = the fastest the rate "
        "budget allows.",
    )
    catalogue_markets_estimate: int = Field(
        default=104_000,
        ge=0,
        description="Open markets assumed by the rate planner before the first catalogue scan.",
    )
    ingestion_lead_s: int = Field(
        default=90, ge=5, description="Request the next window's run this long before it opens."
    )
    watchlist_series: list[str] = Field(default_factory=list)
    watchlist_events: list[str] = Field(default_factory=list)
    watchlist_tickers: list[str] = Field(default_factory=list)

    # --- data-quality checks of market_snapshots (kalshi_pipeline/defs/ingestion) ---
    quality_coverage_min: float = Field(
        default=0.95,
        ge=0,
        le=1,
        description="Share of its grid ticks a tier must commit: per ingestion window "
        "(window_tick_coverage, a warning) and per UTC day (partition_poll_coverage, blocking).",
    )
    quality_stale_after_hours: float = Field(
        default=6.0,
        gt=0,
        description="An open market whose stored quote has not changed for this long is stale "
        "(partition_stale_markets).",
    )
    quality_stale_share_max: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="partition_stale_markets warns once this share of the open markets is stale.",
    )

    # --- API ---
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_cors_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:5173", "http://localhost:5173"]
    )
    api_db_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="Longest a request waits for the database (connection + query) before "
        "answering 503.",
    )
    api_count_cache_s: float = Field(
        default=5.0,
        ge=0,
        description="How long a list's X-Total-Count may be reused for the same filters "
        "(0 = count on every request).",
    )
    api_fast_path: bool = Field(
        default=True,
        description="Answer the hottest GETs below FastAPI's routing (kalshi_api.hotpath); "
        "off = every request through the routes (same answers, more CPU).",
    )
    api_public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where users reach the API (links in Dagster metadata); behind a proxy or in "
        "containers, the address a browser uses.",
    )
    dashboard_public_url: str = Field(
        default="http://127.0.0.1:5173",
        description="Where users reach the dashboard (links in Dagster metadata).",
    )
    api_response_cache_mb: int = Field(
        default=32,
        ge=0,
        description="Memory for market-list responses cached until the data changes "
        "(PostgreSQL NOTIFY from every write to markets/market_latest); 0 = no cache.",
    )

    # --- simulator ---
    sim_host: str = "127.0.0.1"
    sim_port: int = 8765

    # --- logging ---
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("catalogue_interval_s")
    @classmethod
    def _catalogue_floor(cls, v: int) -> int:
        if 0 < v < 15:
            raise ValueError(
                "CATALOGUE_INTERVAL_S must be 0 (automatic) or >= 15: Kalshi caches /markets "
                "pages for 15 s"
            )
        return v

    @model_validator(mode="after")
    def _drop_after_every_reader_switched(self) -> Settings:
        if self.archive_drop_grace_s < self.archive_catalogue_ttl_s + ARCHIVE_DROP_MARGIN_S:
            raise ValueError(
                f"ARCHIVE_DROP_GRACE_S ({self.archive_drop_grace_s}) must be at least "
                f"ARCHIVE_CATALOGUE_TTL_S ({self.archive_catalogue_ttl_s}) + "
                f"{ARCHIVE_DROP_MARGIN_S:g}: a process may read with a list of archived days "
                "that old, and must have switched to the file before the partition goes"
            )
        return self

    @field_validator("archive_url")
    @classmethod
    def _archive_url_given(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("ARCHIVE_URL must name a folder or an fsspec URL")
        return v.strip()

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, v: str) -> str:
        if not v.startswith(("postgresql://", "postgres://", "postgresql+")):
            raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
        return v


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()


def setting_default(name: str) -> object:
    """A setting's default value: for texts written when code loads (e.g. a Dagster check's
    description) that name a setting whose value in force is read when the code runs."""
    return Settings.model_fields[name].default
