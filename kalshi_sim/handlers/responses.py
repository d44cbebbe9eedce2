"""What a handler answers: JSON bodies, and Kalshi's error envelope for 400s and 404s."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response


class ApiError(Exception):
    """An error answered with Kalshi's error body."""

    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def bad_request(details: str) -> ApiError:
    return ApiError(400, "bad_request", "bad request", details)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", "not found", what)


def json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    body = {
        "error": {
            "code": exc.code,
            "message": exc.message,
            "details": exc.details,
            "service": "exchange",
        }
    }
    return json_response(orjson.dumps(body), exc.status)


async def unknown_route(request: Request, exc: Exception) -> Response:
    body = {
        "error": {
            "code": "not_found",
            "message": "not found",
            "details": request.url.path,
            "service": "exchange",
        }
    }
    return json_response(orjson.dumps(body), 404)
