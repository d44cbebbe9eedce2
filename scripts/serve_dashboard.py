"""The dashboard in containers: the built SPA (`frontend/dist`, copied to $SPA_DIR) as static
files, with `/api/*` and `/health` passed on to the API (API_URL) so the browser talks to one
origin, as under `vite preview` in `make dev`. Client-side routes (e.g. /markets/X) get
index.html. Plain Starlette + httpx from the application image: no Node and no web server image.

    python scripts/serve_dashboard.py --host 127.0.0.1 --port 5173
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

# hop-by-hop headers are the proxy's own business (RFC 9110 7.6.1)
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
}
# set by this server's uvicorn on every answer
OWN = {"date", "server"}


class SpaFiles(StaticFiles):
    """Static files; an unknown path without a file extension is a client route: index.html."""

    async def get_response(self, path: str, scope: dict) -> Response:  # type: ignore[type-arg]
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or "." in path.rsplit("/", 1)[-1]:
                raise
            return FileResponse(Path(str(self.directory)) / "index.html")


def create_app(spa_dir: Path, api_url: str) -> Starlette:
    client = httpx.AsyncClient(base_url=api_url, timeout=httpx.Timeout(30.0, connect=5.0))

    async def proxy(request: Request) -> Response:
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        upstream_request = client.build_request(
            request.method,
            request.url.path,
            params=request.url.query,
            headers=headers,
            content=await request.body(),
        )
        try:
            upstream = await client.send(upstream_request, stream=True)
        except httpx.TransportError as exc:
            return Response(
                f'{{"detail": "the API does not answer: {type(exc).__name__}"}}',
                status_code=502,
                media_type="application/json",
            )
        return StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers={
                k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP | OWN
            },
            background=BackgroundTask(upstream.aclose),
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    methods = ["GET", "HEAD", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/health", proxy, methods=methods),
            Route("/api/{path:path}", proxy, methods=methods),
            Mount("/", SpaFiles(directory=spa_dir, html=True)),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5173)
    p.add_argument("--spa-dir", type=Path, default=Path(os.environ.get("SPA_DIR", "frontend/dist")))
    p.add_argument("--api-url", default=os.environ.get("API_URL", "http://127.0.0.1:8000"))
    a = p.parse_args()
    if not (a.spa_dir / "index.html").is_file():
        raise SystemExit(f"no built dashboard in {a.spa_dir} (npm run build)")
    app = create_app(a.spa_dir, a.api_url)
    uvicorn.run(app, host=a.host, port=a.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
