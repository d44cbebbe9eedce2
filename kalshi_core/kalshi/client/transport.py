"""How the client talks to Kalshi: one GET with rate limiting, optional signing, retries with
exponential backoff and full jitter on 429, 5xx, timeouts and connection errors (honouring
`Retry-After`), and the error raised when a request is refused or retries run out.

`Transport` is the base of `KalshiClient`; the endpoint groups call `_get` and never see HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final, Self

import httpx

from kalshi_core.kalshi.auth import RequestSigner
from kalshi_core.kalshi.client.params import ParamValue
from kalshi_core.kalshi.errors import (
    KalshiError,
    KalshiHTTPError,
    KalshiNotFoundError,
    KalshiTransportError,
)
from kalshi_core.kalshi.ratelimit import TokenBucket
from kalshi_core.kalshi.responses import CallStats
from kalshi_core.logs import get_logger

# One logger for the whole client package (the name it had as a single module), so log
# configuration and filters keyed on it keep matching.
log = get_logger("kalshi_core.kalshi.client")

Sleep = Callable[[float], Awaitable[None]]

_MAX_RETRY_AFTER_S: Final = 60.0


@dataclass(frozen=True, slots=True)
class _Response:
    body: bytes
    fetched_at: datetime
    endpoint: str
    params: dict[str, str]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _encode_params(params: Mapping[str, ParamValue]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in params.items():
        if v is None:
            continue
        out[k] = ("true" if v else "false") if isinstance(v, bool) else str(v)
    return out


def _retry_after_s(headers: httpx.Headers) -> float | None:
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - _utcnow()).total_seconds())


def _error_message(resp: httpx.Response) -> str:
    text = resp.text[:300] if resp.content else ""
    return text.strip() or resp.reason_phrase or "no body"


class Transport:
    """Rate-limited, retrying, optionally signed GETs against one base URL, with the counters
    (`stats`) every request adds to. Use as `async with`; `aclose` releases the connections."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        max_retries: int,
        rate_limiter: TokenBucket | None,
        signer: RequestSigner | None,
        max_connections: int,
        backoff_base_s: float,
        backoff_max_s: float,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Sleep,
        jitter: Callable[[], float],
        clock: Callable[[], datetime],
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.limiter = rate_limiter
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.stats = CallStats()
        self._signer = signer
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._base_path = httpx.URL(self.base_url + "/").path.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
            ),
            headers={"Accept": "application/json", "User-Agent": "kalshi-workbench/0.1"},
            follow_redirects=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def backoff_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**attempt)]; at least Retry-After."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2.0**attempt))
        delay = self._jitter() * ceiling
        if retry_after is not None:
            delay = max(delay, min(retry_after, _MAX_RETRY_AFTER_S))
        return delay

    async def _get(
        self,
        path: str,
        params: Mapping[str, ParamValue],
        stats: CallStats,
        accept: frozenset[int] = frozenset(),
    ) -> _Response:
        """GET with rate limiting and retries; returns the body of a 2xx response (or of a status
        in `accept`, returned without retrying)."""
        query = _encode_params(params)
        endpoint = f"GET {path}"
        attempt = 0
        while True:
            call = CallStats()
            try:
                resp = await self._attempt(path, query, call)
            finally:
                stats.add(call)
                self.stats.add(call)
            retry_after: float | None = None
            if isinstance(resp, httpx.Response):
                status = resp.status_code
                if 200 <= status < 300 or status in accept:
                    return _Response(resp.content, self._clock(), endpoint, query)
                if status != 429 and status < 500:  # 429 and every 5xx are transient
                    cls = KalshiNotFoundError if status == 404 else KalshiHTTPError
                    refused = cls(endpoint, status, _error_message(resp))
                    refused.stats = stats
                    raise refused
                if status == 429:
                    stats.http_429s += 1
                    self.stats.http_429s += 1
                retry_after = _retry_after_s(resp.headers)
                failure = f"HTTP {status}"
            else:
                failure = resp
            if attempt >= self.max_retries:
                msg = f"gave up after {attempt + 1} attempts; last failure: {failure}"
                gave_up: KalshiError = (
                    KalshiHTTPError(endpoint, resp.status_code, msg)
                    if isinstance(resp, httpx.Response)
                    else KalshiTransportError(endpoint, msg)
                )
                gave_up.stats = stats
                raise gave_up
            delay = self.backoff_delay(attempt, retry_after)
            attempt += 1
            stats.retries += 1
            self.stats.retries += 1
            log.warning(
                "kalshi request failed; retrying",
                extra={
                    "endpoint": endpoint,
                    "failure": failure,
                    "attempt": attempt,
                    "max_retries": self.max_retries,
                    "delay_s": round(delay, 3),
                },
            )
            await self._sleep(delay)

    async def _attempt(
        self, path: str, query: dict[str, str], call: CallStats
    ) -> httpx.Response | str:
        """One HTTP attempt: the response, or a description of the transport failure."""
        if self.limiter is not None:
            call.rate_wait_s += await self.limiter.acquire()
        call.requests += 1
        headers = (
            self._signer.headers("GET", self._base_path + path)
            if self._signer is not None
            else None
        )
        try:
            return await self._http.get(path.lstrip("/"), params=query, headers=headers)
        except httpx.TimeoutException as exc:
            return f"timeout ({type(exc).__name__})"
        except (httpx.TransportError, httpx.DecodingError) as exc:
            return f"{type(exc).__name__}: {exc}"
