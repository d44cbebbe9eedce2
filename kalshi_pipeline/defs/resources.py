"""Resources, bound once for the whole code location: the Kalshi API, the workbench database and
the Parquet archive of finished days.

All read their defaults from the one Settings object; the database URL and the archive's storage
options come through `dg.EnvVar` when set so a password in them never shows in the Dagster UI.
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import dagster as dg

from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.logs import configure_logging
from kalshi_core.settings import get_settings
from kalshi_core.storage.archive import ArchiveStore
from kalshi_core.storage.database import Database, Repositories, repositories


class KalshiApiResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Kalshi Trade API v2 (or the local simulator): base URL and the account's read budget.

    Every client of a process shares one token bucket per base URL, so the ingestion tiers and
    backfills running in one process never exceed the configured tier together."""

    base_url: str
    rate_limit_per_s: float
    mve_filter: str = "exclude"

    @asynccontextmanager
    async def client(self) -> AsyncIterator[KalshiClient]:
        settings = get_settings().model_copy(
            update={
                "kalshi_base_url": self.base_url,
                "kalshi_rate_limit_per_s": self.rate_limit_per_s,
                "kalshi_mve_filter": self.mve_filter,
            }
        )
        async with KalshiClient.from_settings(settings) as client:
            yield client


class WorkbenchDatabase(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The workbench's PostgreSQL database, reached through the repository Protocols."""

    database_url: str
    pool_max: int = 4

    @asynccontextmanager
    async def repositories(self) -> AsyncIterator[Repositories]:
        db = await Database.connect(self.database_url, min_size=1, max_size=self.pool_max)
        try:
            yield repositories(db)
        finally:
            await db.close()


class ArchiveStorage(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where finished snapshot days go as Parquet (a folder or an fsspec URL, docs/ARCHIVE.md),
    how many days stay in PostgreSQL, and how long a day is served from its file before its
    partition is dropped (and how long a run may wait for that)."""

    url: str
    storage_options_json: str = "{}"
    hot_days: int = 7
    drop_grace_s: float = 90.0
    drop_wait_s: float = 300.0

    def store(self) -> ArchiveStore:
        try:
            options = json.loads(self.storage_options_json or "{}")
        except json.JSONDecodeError as exc:
            raise dg.Failure(f"ARCHIVE_STORAGE_OPTIONS is not JSON: {exc}") from exc
        if not isinstance(options, dict):
            raise dg.Failure("ARCHIVE_STORAGE_OPTIONS must be a JSON object")
        return ArchiveStore(self.url, options)


@dg.definitions
def resources() -> dg.Definitions:
    settings = get_settings()
    # every process of the code location (code server, run workers) logs JSON to stderr
    configure_logging(settings.log_level, json=settings.log_json)
    database_url: str | dg.EnvVar = (
        dg.EnvVar("DATABASE_URL") if os.environ.get("DATABASE_URL") else settings.database_url
    )
    return dg.Definitions(
        resources={
            "kalshi": KalshiApiResource(
                base_url=settings.kalshi_base_url,
                rate_limit_per_s=settings.kalshi_rate_limit_per_s,
                mve_filter=settings.kalshi_mve_filter,
            ),
            "database": WorkbenchDatabase(database_url=database_url),
            "archive": ArchiveStorage(
                url=settings.archive_url,
                storage_options_json=dg.EnvVar("ARCHIVE_STORAGE_OPTIONS")
                if os.environ.get("ARCHIVE_STORAGE_OPTIONS")
                else json.dumps(settings.archive_storage_options),
                hot_days=settings.archive_hot_days,
                drop_grace_s=settings.archive_drop_grace_s,
                drop_wait_s=settings.archive_drop_wait_s,
            ),
        }
    )
