"""Errors raised by the Kalshi client; every one names the endpoint it came from.

Callers catch `KalshiError` for "Kalshi did not give us usable data" and the subclasses when they
need to tell a bad payload (`KalshiResponseError`) from an HTTP refusal (`KalshiHTTPError`) or a
transport failure that outlived the retry budget (`KalshiTransportError`).
"""

from __future__ import annotations


class KalshiError(Exception):
    """Base class: something about a Kalshi request failed. `endpoint` is e.g. 'GET /markets'.

    `stats` is the failed call's `CallStats` (requests, retries, 429s) when the client knows
    them, so a caller can report what a failure cost, not only that it failed.
    """

    stats: object | None = None

    def __init__(self, endpoint: str, message: str) -> None:
        self.endpoint = endpoint
        self.detail = message
        super().__init__(f"{endpoint}: {message}")


class KalshiResponseError(KalshiError):
    """The body was not what the endpoint promises (bad JSON, truncated, wrong types, missing
    required keys, prices out of range). Nothing from the page is returned."""


class KalshiHTTPError(KalshiError):
    """A non-retryable HTTP status (4xx other than 429), or a retryable one (429/5xx) after the
    retry budget ran out."""

    def __init__(self, endpoint: str, status_code: int, message: str) -> None:
        self.status_code = status_code
        super().__init__(endpoint, f"HTTP {status_code}: {message}")


class KalshiNotFoundError(KalshiHTTPError):
    """HTTP 404: the ticker (or path) does not exist on this exchange."""


class KalshiTransportError(KalshiError):
    """Timeouts or connection errors that outlived the retry budget."""


class KalshiPaginationError(KalshiError):
    """The server handed back a cursor it had already given: following it would loop forever."""


class KalshiAuthError(KalshiError):
    """The configured API key could not be loaded or used to sign a request."""
