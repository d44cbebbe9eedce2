"""Which version of the market data the API is serving, and responses cached per version.

Every statement that writes `markets` or `market_latest` (ingestion ticks, metadata upserts,
backfills, a TRUNCATE by hand) fires a statement-level trigger (migration 0004) that sends
`NOTIFY kalshi_market_data`; PostgreSQL delivers it when the writing transaction commits. The
API keeps one connection LISTENing (`ChangeFeed`) and counts notifications: that count is the
data version. A response computed while the version was v stays valid exactly until the next
notification, so the markets list (a sort, a join and 100 JSON items: ~3 ms of CPU) is computed
once per ingestion tick and then served from memory.

Staleness is bounded by notification latency (milliseconds), not by a TTL. Whenever the API is
not listening (startup, a dropped connection, a database without the triggers) the version is
None and nothing is cached: every request reads PostgreSQL, as if the cache did not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

import asyncpg

from kalshi_core.logs import get_logger
from kalshi_core.storage.database import asyncpg_dsn

log = get_logger(__name__)

CHANNEL: Final = "kalshi_market_data"
"""The NOTIFY channel of migration 0004's triggers."""
TRIGGERS: Final = ("markets_notify_change", "market_latest_notify_change")
_TRIGGERS_PRESENT: Final = "SELECT count(*) FROM pg_trigger WHERE tgname = ANY($1::text[])"


class ChangeFeed:
    """The data version: a counter bumped by every `kalshi_market_data` notification.

    `version` is None while nothing listens (so nothing may be cached). A background task keeps
    one dedicated connection (outside the request pool) listening, checks it every
    `ping_every_s`, and reconnects after `retry_s` when it is lost.
    """

    def __init__(self, url: str, *, ping_every_s: float = 10.0, retry_s: float = 1.0) -> None:
        self._dsn = asyncpg_dsn(url)
        self._ping_every_s = ping_every_s
        self._retry_s = retry_s
        self._counter = 0
        self.version: int | None = None
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="kalshi-api-change-feed")

    async def stop(self) -> None:
        self.version = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _bump(self, *_: object) -> None:
        self._counter += 1
        if self.version is not None:
            self.version = self._counter

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: stop caching, try again shortly
                if self.version is not None:
                    log.warning(
                        "change feed lost; serving uncached until it is back",
                        extra={"error": f"{type(exc).__name__}: {exc}"},
                    )
            self.version = None
            self.listening.clear()
            await asyncio.sleep(self._retry_s)

    async def _listen_once(self) -> None:
        conn = await asyncpg.connect(
            self._dsn,
            timeout=self._ping_every_s,
            server_settings={"application_name": "kalshi_api_changes"},
        )
        try:
            present = await conn.fetchval(_TRIGGERS_PRESENT, list(TRIGGERS))
            if present != len(TRIGGERS):
                # Without the triggers nothing would ever invalidate: never cache then.
                log.warning(
                    "change triggers missing (run the migrations); responses are not cached"
                )
                await asyncio.sleep(max(self._ping_every_s, 30.0))
                return
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(CHANNEL, self._bump)
            # Whatever changed while nobody listened: start from a version nothing holds.
            self._counter += 1
            self.version = self._counter
            self.listening.set()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self._ping_every_s)
                if not lost.is_set():
                    # A silent network failure would otherwise keep a stale version forever.
                    await conn.fetchval("SELECT 1", timeout=self._ping_every_s)
            raise ConnectionError("the LISTEN connection closed")
        finally:
            self.version = None
            self.listening.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2.0)


def etag_of(body: bytes) -> str:
    """A strong validator of a response body (HTTP ETag, quoted)."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


@dataclass(frozen=True, slots=True)
class CachedResponse:
    version: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]  # raw, lower-case names, ETag included
    etag: bytes


class ResponseCache:
    """200 responses by key, valid while the `ChangeFeed` version they were computed at holds.

    Bounded by total body bytes (least recently used evicted); every entry of an older version
    is dropped at once when the version moves. Store with the version read *before* querying:
    a change that lands during the query then makes the entry stale immediately.
    """

    def __init__(self, feed: ChangeFeed | None, *, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._feed = feed
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[object, CachedResponse] = OrderedDict()
        self._entries_version: int | None = None
        self.hits = 0
        self.misses = 0

    @property
    def version(self) -> int | None:
        return self._feed.version if self._feed is not None else None

    def _sync(self, version: int | None) -> None:
        if version != self._entries_version:
            self._entries.clear()
            self._bytes = 0
            self._entries_version = version

    def get(self, key: object) -> CachedResponse | None:
        version = self.version
        if version is None:
            return None
        self._sync(version)
        hit = self._entries.get(key)
        if hit is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return hit

    def put(self, key: object, version: int | None, body: bytes, headers: dict[str, str]) -> None:
        current = self.version
        if version is None or version != current or len(body) > self._max_bytes // 4:
            return
        self._sync(current)
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        raw = tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())
        # The route passes its ETag; hash the body only when it did not (a dict.get default
        # would hash it on every put).
        etag = headers.get("ETag") or etag_of(body)
        self._entries[key] = CachedResponse(version, body, raw, etag.encode("latin-1"))
        self._bytes += len(body)
        while self._bytes > self._max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.body)

    def __len__(self) -> int:
        return len(self._entries)
