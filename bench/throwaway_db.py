"""Throwaway PostgreSQL databases for the benchmarks: where the server is, create one, name its
URL, drop it.

Every benchmark that writes runs in a database of its own, created for the run and dropped
(`WITH (FORCE)`: a benchmark that failed midway may leave connections open) when it ends. The
server is the one of `BENCH_DATABASE_ADMIN_URL` (what scripts/bench.sh exports), else of
`TEST_DATABASE_ADMIN_URL` (what scripts/test.sh exports, so a benchmark run from a test shell
finds the same server), else postgresql://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg2

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    """The maintenance database's URL: CREATE / DROP DATABASE run there."""
    return os.environ.get(
        "BENCH_DATABASE_ADMIN_URL", os.environ.get("TEST_DATABASE_ADMIN_URL", DEFAULT_ADMIN_URL)
    )


def url_for(name: str) -> str:
    """The URL of database `name` on the admin URL's server (same credentials and options)."""
    parts = urlsplit(admin_url())
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def admin(sql: str) -> None:
    """Run one statement on the maintenance database, in autocommit (CREATE / DROP DATABASE
    cannot run inside a transaction)."""
    conn = psycopg2.connect(admin_url())
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def create_database(name: str) -> str:
    """Create database `name` (empty: the caller migrates it) and return its URL."""
    admin(f'CREATE DATABASE "{name}"')
    return url_for(name)


def drop_database(name: str) -> None:
    """Drop database `name` if it exists, closing any connection still open to it."""
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def throwaway_database(prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh database `<prefix>_<10 hex>` for the block: yields its URL, drops it at exit
    (whatever happened) unless `keep`."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    url = create_database(name)
    try:
        yield url
    finally:
        if not keep:
            drop_database(name)
