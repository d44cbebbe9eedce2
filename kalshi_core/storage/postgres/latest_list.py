"""The latest-quotes listing in SQL: which markets a `MarketFilter` selects and in what order.

One filter/ORDER BY builder shared by `PostgresMarketRepository.get_all_latest`
(`kalshi_core.storage.postgres.markets`) and the API's JSON-rendering list
(`kalshi_core.storage.postgres.json_reads`): the two differ only in their column lists, so they
cannot drift apart in what they list or how they sort it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from kalshi_core.storage.repositories import MarketFilter

LATEST_FROM: Final = "markets m JOIN market_latest l ON l.market_id = m.id"
"""The join every latest-quotes listing reads (aliases m and l)."""

# Sort key -> (alias, column). The columns keep their names in a subquery selecting them, so a
# query over such a subquery can repeat the same order (`LatestListQuery.order_by(alias)`).
_SORTS: Final[dict[str, tuple[str, str]]] = {
    "ticker": ("m", "ticker"),
    "volume": ("l", "volume"),
    "volume_24h": ("l", "volume_24h"),
    "open_interest": ("l", "open_interest"),
    "close_time": ("m", "close_time"),
    "updated": ("l", "changed_at"),
}


@dataclass(frozen=True, slots=True)
class LatestListQuery:
    """The WHERE clause, its bound values and the order of one latest-quotes listing.

    The single definition of what a `MarketFilter` selects and how it sorts, used by
    `PostgresMarketRepository.get_all_latest` and by the API's JSON-rendering query
    (`kalshi_core.storage.postgres.json_reads`), so the two cannot drift apart. Only constants of
    this module are spliced into the SQL; every filter value is a bound parameter ($1..$n, in
    `args`).
    """

    where: str  # "" or "WHERE ..." over the aliases m and l
    args: tuple[Any, ...]
    sort: tuple[str, str]  # (alias, column)
    descending: bool

    def order_by(self, alias: str | None = None) -> str:
        """The ORDER BY terms over m and l, or over the same columns of subquery `alias`.

        NULLs come last in both directions; ties read by ticker A-Z whatever the direction.
        """
        table, column = self.sort
        direction = "DESC" if self.descending else "ASC"
        if (table, column) == ("m", "ticker"):
            # Unique and NOT NULL: no ties, and without NULLS LAST an index on the ticker can
            # deliver either direction.
            return f"{alias or table}.ticker {direction}"
        return f"{alias or table}.{column} {direction} NULLS LAST, {alias or 'm'}.ticker ASC"

    @property
    def limit_offset(self) -> str:
        """`LIMIT $n+1 OFFSET $n+2`: bind the limit and the offset after `args`."""
        n = len(self.args)
        return f"LIMIT ${n + 1} OFFSET ${n + 2}"

    @property
    def count_sql(self) -> str:
        """The number of markets listed (bind `args`); unfiltered, `market_latest` alone."""
        if self.where:
            return f"SELECT count(*) FROM {LATEST_FROM} {self.where}"
        return "SELECT count(*) FROM market_latest"


def latest_list_query(flt: MarketFilter) -> LatestListQuery:
    """The listing of `flt`: status, series and event equal; `search` a case-insensitive
    substring of the ticker or the title (LIKE wildcards escaped, so any input is just text)."""
    if flt.sort not in _SORTS:
        raise ValueError(f"unknown sort {flt.sort!r}; one of {sorted(_SORTS)}")
    where: list[str] = []
    args: list[Any] = []
    for column, value in (
        ("m.status", flt.status),
        ("m.series_ticker", flt.series_ticker),
        ("m.event_ticker", flt.event_ticker),
    ):
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    if flt.search:
        args.append(f"%{_escape_like(flt.search)}%")
        n = len(args)
        where.append(f"(m.ticker ILIKE ${n} OR m.title ILIKE ${n})")
    return LatestListQuery(
        where=("WHERE " + " AND ".join(where)) if where else "",
        args=tuple(args),
        sort=_SORTS[flt.sort],
        descending=flt.descending,
    )


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
