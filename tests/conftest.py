"""Database fixtures shared by every test area (storage, API, Dagster, backfill).

Tests always run against a real PostgreSQL, never SQLite or mocks. The server is the one named
by `TEST_DATABASE_ADMIN_URL` (default `postgresql://postgres@127.0.0.1:5432/postgres`); a fresh
database with a unique name is created there for the test session and dropped at its end, so a
user's own databases are never touched.

Fixtures (names are stable; other test areas depend on them):
- `database_url` (session): `postgresql://.../kalshi_test_<hex>`, migrated to Alembic head.
- `db` (session): a `kalshi_core.storage.database.Database` pool on it (max 10 connections).
- `repos` (session): `repositories(db)`, every PostgreSQL repository.
- `clean_db` (function): TRUNCATEs every data table (identities restarted) and clears the
  Database's cached counts before the test, and yields the `Database`; request it in each test
  that writes, so tests stay independent.
- `empty_database_url` (function): a fresh database with no schema at all (for migration
  tests), dropped after the test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
import pytest_asyncio

from kalshi_core.storage.database import Database, Repositories, repositories
from kalshi_core.storage.migrate import upgrade
from kalshi_core.storage.tables import DATA_TABLES

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get("TEST_DATABASE_ADMIN_URL", DEFAULT_ADMIN_URL)


def url_for_database(url: str, name: str) -> str:
    """`url` with its database (path) replaced by `name`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def create_database(name: str) -> str:
    """Create an empty database on the admin server; returns its URL."""
    conn = psycopg2.connect(admin_url())
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return url_for_database(admin_url(), name)


def drop_database(name: str) -> None:
    conn = psycopg2.connect(admin_url())
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    name = f"kalshi_test_{uuid.uuid4().hex[:12]}"
    url = create_database(name)
    try:
        upgrade(url, partition_days_ahead=3)
        yield url
    finally:
        drop_database(name)


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    name = f"kalshi_test_empty_{uuid.uuid4().hex[:10]}"
    url = create_database(name)
    try:
        yield url
    finally:
        drop_database(name)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await Database.connect(database_url, min_size=1, max_size=10, partition_days_ahead=3)
    try:
        yield database
    finally:
        await database.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def repos(db: Database) -> Repositories:
    return repositories(db)


@pytest_asyncio.fixture(loop_scope="session")
async def clean_db(db: Database) -> AsyncIterator[Database]:
    async with db.acquire() as conn:
        await conn.execute(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
    db.forget_cached_counts()
    yield db
