"""Contract: the API's module layout stays easy to extend (issue 15).

Routers are leaves: no module imports a router (shared helpers live in `kalshi_api.responses`
and `kalshi_api.params`), and exactly one router carries the `/api/v1` prefix.
"""

from __future__ import annotations

import ast
from pathlib import Path

import kalshi_api
from kalshi_api.main import create_app

ROOT = Path(kalshi_api.__file__).parent


def test_no_module_imports_a_router() -> None:
    offenders: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.parent.name == "routers" and path.name == "__init__.py":
            continue  # the one place that assembles them
        if path.name == "main.py":
            continue  # the app includes the assembled router
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "kalshi_api.routers"
            ):
                offenders.append(f"{path.relative_to(ROOT)}: from {node.module}")
    assert offenders == []


def test_one_router_carries_the_api_prefix() -> None:
    for path in sorted((ROOT / "routers").glob("*.py")):
        if path.name != "__init__.py":
            assert "/api/v1" not in path.read_text(), path.name
    paths = set(create_app().openapi()["paths"])
    assert "/health" in paths
    api = {p for p in paths if p.startswith("/api/")}
    assert api
    assert all(p.startswith("/api/v1/") for p in api)
