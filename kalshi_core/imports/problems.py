"""What a refused import says: each bad row by file, line (or Parquet row) and column.

An import either writes everything or nothing; when it refuses its input it raises
`DumpImportError` listing the first problems found (each one a `Problem` that prints as
`path:line: column 'yes_price': ...`) and how many rows were bad in all, so a user can fix the
file without re-running the import once per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

MAX_LISTED: Final = 20
"""Problems listed in an error; the rest are counted."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason the input was refused.

    `line` is the physical line of a CSV record (the header is line 1) or the 1-based row of a
    Parquet file (`unit="row"`); None for a problem of the whole file (a missing column).
    """

    path: str
    message: str
    line: int | None = None
    column: str | None = None
    unit: Literal["line", "row"] = "line"

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}" if self.unit == "line" else f":row {self.line}"
        if self.column is not None:
            where += f": column {self.column!r}"
        return f"{where}: {self.message}"


class DumpImportError(ValueError):
    """The input was refused and nothing was written.

    `problems` holds at most `MAX_LISTED` problems in input order; `total` counts every problem
    found (validation goes on to the end of the input, so the count is complete).
    """

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        if not problems:
            raise ValueError("DumpImportError needs at least one problem")
        self.problems = problems[:MAX_LISTED]
        self.total = len(problems) if total is None else total
        super().__init__(self.describe())

    def describe(self) -> str:
        head = (
            f"import refused, nothing was written: {self.total} problem"
            f"{'s' if self.total != 1 else ''}"
        )
        lines = [head, *(f"  {p}" for p in self.problems)]
        if self.total > len(self.problems):
            lines.append(f"  ... and {self.total - len(self.problems)} more")
        return "\n".join(lines)


class ProblemLog:
    """Collects problems while a file streams: keeps the first `MAX_LISTED`, counts the rest."""

    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.count = 0

    def add(self, problem: Problem) -> None:
        self.count += 1
        if len(self.listed) < MAX_LISTED:
            self.listed.append(problem)

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_if_any(self) -> None:
        if self.count:
            raise DumpImportError(self.listed, self.count)
