"""Contract: a `Database` opened with `readonly=True` (the API's) reads normally and refuses
every write, both in the repositories and in PostgreSQL itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import asyncpg
import pytest
import pytest_asyncio

from kalshi_core.models import IngestPoll, MarketSnapshot
from kalshi_core.storage.database import Database, Repositories, repositories

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest_asyncio.fixture(loop_scope="session")
async def readonly_db(database_url: str) -> AsyncIterator[Database]:
    db = await Database.connect(database_url, min_size=1, max_size=2, readonly=True)
    try:
        yield db
    finally:
        await db.close()


async def test_readonly_reads_but_refuses_writes(
    repos: Repositories, readonly_db: Database, snap: Callable[..., MarketSnapshot]
) -> None:
    await repos.markets.save_many([snap("KXA-1", 0)])
    ro = repositories(readonly_db)
    latest = await ro.markets.get_latest("KXA-1")
    assert latest is not None
    assert len(await ro.markets.get_history("KXA-1")) == 1
    assert (await ro.markets.get_all_latest()).total == 1
    with pytest.raises(PermissionError, match="read-only"):
        await ro.markets.save_many([snap("KXA-1", 5, bid="0.1")])
    with pytest.raises(PermissionError, match="read-only"):
        await ro.polls.record(IngestPoll(tick=datetime.now(UTC)))
    async with readonly_db.acquire() as conn:
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await conn.execute("DELETE FROM market_latest")
    assert (await repos.markets.get_all_latest()).total == 1
