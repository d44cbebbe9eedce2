"""Contract: the notebooks listed in EXPECTED exist and are the only ones under notebooks/; each
runs top to bottom against a real PostgreSQL with data in it (through the repositories, no
Dagster needed), printing what it is for, and is committed without outputs."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.pipeline.test_backtest_assets import seed

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
# Each notebook with text its outputs must show. Listed by hand rather than globbed: a glob that
# finds nothing parametrizes no test, so a deleted notebook would pass silently.
EXPECTED: dict[str, tuple[str, ...]] = {
    "explore.ipynb": ("markets with quotes", "PnL"),
}
FOUND = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
NOTEBOOKS = sorted(set(EXPECTED) | set(FOUND))


def test_the_expected_notebooks_and_no_others() -> None:
    assert FOUND, f"no notebook under {NOTEBOOK_DIR}"
    missing = [name for name in EXPECTED if not (NOTEBOOK_DIR / name).is_file()]
    assert not missing, f"expected notebooks missing: {missing}"
    assert set(FOUND) == set(EXPECTED), "a new notebook needs its entry in EXPECTED"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name: str, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = NOTEBOOK_DIR / name
    asyncio.run(seed(database_url))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    text = "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    for phrase in EXPECTED.get(name, ()):
        assert phrase in text, f"{name}: no output mentions {phrase!r}"
    assert os.environ["DATABASE_URL"] == database_url
