"""Cursor pagination: follow a listing's cursors to the end (or a page cap), fetching the next
page while the current one is parsed, and say whether the listing is complete. Also the listing
defaults every endpoint group reads (page size, mve filter, concurrency)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, TypeVar

from kalshi_core.kalshi import wire
from kalshi_core.kalshi.client.params import ParamValue, _Default
from kalshi_core.kalshi.client.transport import Transport, _Response, log
from kalshi_core.kalshi.errors import KalshiError, KalshiPaginationError
from kalshi_core.kalshi.responses import CallStats, Listing, RawPage

T = TypeVar("T")

_BUILD_SLICE: Final = 200


class Paginator(Transport):
    """`Transport` plus cursor pagination; the base of the endpoint groups."""

    # Set and validated by `KalshiClient.__init__`.
    page_limit: int
    mve_filter: str | None
    max_concurrency: int

    async def _paginate(
        self,
        path: str,
        params: Mapping[str, ParamValue],
        items_key: str | Callable[[bytes, str], tuple[list[Any], str]],
        build: Callable[[list[Any], str, int, datetime], list[T]],
        *,
        max_pages: int | None = None,
        keep_raw: bool = False,
        stats: CallStats | None = None,
        partial_ok: bool = False,
    ) -> Listing[T]:
        """Follow cursors to the end (or `max_pages`). The next page is requested as soon as its
        cursor is known, so the server works on it while this page's models are built.

        A failing page raises; with `partial_ok` the pages before it are returned instead, with
        `complete=False` and the error text (a repeated cursor always raises).

        `build(items, endpoint, offset, fetched_at)` gets the time the page's response arrived,
        so models built from it can be stamped with when Kalshi's answer could first be seen."""
        stats = stats if stats is not None else CallStats()
        endpoint = f"GET {path}"
        items: list[T] = []
        raw: list[RawPage] = []
        seen: set[str] = set()
        pages = 0
        cursor: str | None = None
        error: str | None = None
        pending: asyncio.Task[_Response] | None = asyncio.ensure_future(
            self._get(path, dict(params), stats)
        )
        try:
            while pending is not None:
                resp = await pending
                pending = None
                if isinstance(items_key, str):
                    page_items, next_cursor = wire.decode_page(resp.body, endpoint, items_key)
                else:
                    page_items, next_cursor = items_key(resp.body, endpoint)
                pages += 1
                if next_cursor:
                    if next_cursor in seen:
                        raise KalshiPaginationError(
                            endpoint,
                            f"page {pages} returned cursor {next_cursor[:40]!r} again; "
                            "stopping instead of looping",
                        )
                    seen.add(next_cursor)
                    if max_pages is None or pages < max_pages:
                        pending = asyncio.ensure_future(
                            self._get(path, {**params, "cursor": next_cursor}, stats)
                        )
                # Build in slices, yielding to the event loop in between: the request for the
                # next page (just scheduled) gets sent and read meanwhile, and other coroutines
                # of the process are not starved for a whole page.
                for start in range(0, len(page_items), _BUILD_SLICE):
                    await asyncio.sleep(0)
                    chunk = page_items[start : start + _BUILD_SLICE]
                    # Building allocates ~10 objects per item and frees none; the cyclic GC
                    # would walk the growing result again and again for nothing (the models hold
                    # no cycles), so it is paused for the synchronous slice only.
                    gc_was_enabled = gc.isenabled()
                    gc.disable()
                    try:
                        items.extend(build(chunk, endpoint, start, resp.fetched_at))
                    finally:
                        if gc_was_enabled:
                            gc.enable()
                if keep_raw:
                    raw.append(
                        RawPage(
                            fetched_at=resp.fetched_at,
                            endpoint=endpoint,
                            body=resp.body,
                            params=resp.params,
                            cursor=cursor,
                        )
                    )
                cursor = next_cursor
        except KalshiPaginationError:
            raise
        except KalshiError as exc:
            if not partial_ok:
                raise
            error = str(exc)
            log.warning(
                "kalshi listing stopped early", extra={"endpoint": endpoint, "error": error}
            )
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
        return Listing(
            items=items,
            complete=error is None and not cursor,
            pages=pages,
            stats=stats,
            raw_pages=raw,
            error=error,
        )

    def _mve(self, mve_filter: str | _Default | None) -> str | None:
        return self.mve_filter if isinstance(mve_filter, _Default) else mve_filter
