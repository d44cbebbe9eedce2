"""Contract: the notebooks listed in EXPECTED exist and are the only ones under notebooks/; each
runs top to bottom against a real PostgreSQL with data in it (through the repositories, no
Dagster needed), printing what it is for and drawing its figures, and is committed without
outputs.

The real-data notebooks import the small excerpts in tests/fixtures/realdata/ here:
KALSHI_REALDATA_DIR is removed from their environment, so the test never reads a folder outside
the repository."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.pipeline.test_backtest_assets import seed

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
# Each notebook with patterns (regular expressions) its printed output must match. Listed by hand
# rather than globbed: a glob that finds nothing parametrizes no test, so a deleted notebook would
# pass silently. Counts are matched as non-zero numbers: the work happened, whatever its result.
N = r"[1-9]\d*"
EXPECTED: dict[str, tuple[str, ...]] = {
    "explore.ipynb": ("markets with quotes", "PnL"),
    "strategy_development.ipynb": (
        r"data: repository fixtures",
        rf"market_trades: {N} rows read, {N} inserted",
        rf"trades: {N} prints of {N} markets; {N} markets settled yes/no",
        rf"grid: {N} bars of 1min x {N} markets",
        rf"entries: {N} signal bars",
        rf"fills: {N} trades",
        r"PnL -?\d+\.\d+ = settlement",
        r"fills outside the signal band: \d+ of",
        r"band +close condition +signal bars +trades +PnL",
        rf"saved backtest_results id {N} \(favourite_longshot, {N} trades, data source trades\)",
    ),
    "backtest_analysis.ipynb": (
        rf"backtest_results id {N}: favourite_longshot on trades data",
        r"per-trade PnL adds up to the total: True",
        r"exit reasons: \{'settlement': \d+",
        r"holding time: median \d+ min",
        r"PnL per trade \(\$\): mean",
        rf"Brier 0\.\d+ over {N} prints \(\d+ contracts\) of {N} markets",
        r"excluded prints by reason: \{'unsettled': \d+",
        r"bands: 10",
        r"markets settled YES",
        r"5c contracts, either side: ",
        r"bands under 35c where YES won less often than its price: \d+ of \d+",
    ),
}
# Figures each notebook must draw (image outputs of the inline backend).
FIGURES: dict[str, int] = {
    "explore.ipynb": 1,
    "strategy_development.ipynb": 2,
    "backtest_analysis.ipynb": 3,
}
# Notebooks run first on the same database: backtest_analysis reads the backtest that
# strategy_development stores (and the data it imports).
PREREQUISITES: dict[str, tuple[str, ...]] = {
    "backtest_analysis.ipynb": ("strategy_development.ipynb",),
}
FOUND = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
NOTEBOOKS = sorted(set(EXPECTED) | set(FOUND))


def test_the_expected_notebooks_and_no_others() -> None:
    assert FOUND, f"no notebook under {NOTEBOOK_DIR}"
    missing = [name for name in EXPECTED if not (NOTEBOOK_DIR / name).is_file()]
    assert not missing, f"expected notebooks missing: {missing}"
    assert set(FOUND) == set(EXPECTED), "a new notebook needs its entry in EXPECTED"
    assert set(FIGURES) == set(EXPECTED)
    assert {p for pre in PREREQUISITES.values() for p in pre} <= set(EXPECTED)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{name} has no code cell"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_names_no_machine_path(name: str) -> None:
    text = (NOTEBOOK_DIR / name).read_text()
    # any absolute path (POSIX or a Windows drive) or a folder beside the checkout: a notebook
    # must find its data through settings or the repository, never through one machine's layout
    absolute = re.search(r'["\'(=\s]/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+', text)
    assert absolute is None, (name, absolute)
    assert not re.search(r"[A-Z]:\\\\|\.\./[A-Za-z]", text), name


def execute(name: str) -> nbformat.NotebookNode:
    path = NOTEBOOK_DIR / name
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return nb


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name: str, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(seed(database_url))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("KALSHI_REALDATA_DIR", raising=False)
    # The kernel's own inline backend (ipykernel's default when MPLBACKEND is unset) draws
    # headless and puts each figure in the outputs, where it can be counted.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    for before in PREREQUISITES.get(name, ()):
        execute(before)
    nb = execute(name)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "\n".join(o.get("text", "") for o in outputs)
    for pattern in EXPECTED.get(name, ()):
        assert re.search(pattern, text), f"{name}: no output matches {pattern!r}"
    figures = sum(1 for o in outputs if "image/png" in o.get("data", {}))
    assert figures >= FIGURES.get(name, 0), f"{name}: {figures} figures drawn"
    assert os.environ["DATABASE_URL"] == database_url
