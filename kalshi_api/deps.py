"""`Annotated` dependency aliases: what a route may ask for (settings, repositories, reads).

The objects live on `app.state`, opened once by the app's lifespan (`kalshi_api.main`); the
dependencies are `async def` so FastAPI calls them inline rather than in its thread pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kalshi_api.changes import ResponseCache
from kalshi_api.errors import ApiNotReadyError
from kalshi_core.settings import Settings
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.repositories import JsonReadRepository


async def get_api_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_repositories(request: Request) -> Repositories:
    repos: Repositories | None = getattr(request.app.state, "repos", None)
    if repos is None:
        raise ApiNotReadyError("the database pool is not open")
    return repos


async def get_reads(request: Request) -> JsonReadRepository:
    reads: JsonReadRepository | None = getattr(request.app.state, "reads", None)
    if reads is None:
        raise ApiNotReadyError("the database pool is not open")
    return reads


async def get_cache(request: Request) -> ResponseCache:
    cache: ResponseCache | None = getattr(request.app.state, "cache", None)
    if cache is None:
        return ResponseCache(None)  # never stores: version is None
    return cache


SettingsDep = Annotated[Settings, Depends(get_api_settings)]
ReposDep = Annotated[Repositories, Depends(get_repositories)]
ReadsDep = Annotated[JsonReadRepository, Depends(get_reads)]
CacheDep = Annotated[ResponseCache, Depends(get_cache)]
