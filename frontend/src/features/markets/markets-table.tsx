/** The markets table: one row per market's latest quote, server-sorted by the clickable headers. */
import { ArrowDown, ArrowUp, ArrowUpDown } from "lucide-react";
import { Link } from "react-router";

import type { Market } from "@/api/client";
import { Time } from "@/components/time";
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import { StatusBadge } from "@/features/markets/status-badge";
import type { MarketSearch, MarketSort } from "@/features/markets/search-params";
import { formatCents, formatCount } from "@/lib/format";
import { cn } from "@/lib/cn";

function SortHeader({
  label,
  column,
  search,
  onSort,
  className,
}: {
  label: string;
  column: MarketSort;
  search: MarketSearch;
  onSort: (column: MarketSort) => void;
  className?: string;
}) {
  const active = search.sort === column;
  const Icon = !active ? ArrowUpDown : search.order === "asc" ? ArrowUp : ArrowDown;
  return (
    <TableHead
      className={className}
      aria-sort={active ? (search.order === "asc" ? "ascending" : "descending") : "none"}
    >
      <button
        type="button"
        onClick={() => {
          onSort(column);
        }}
        className={cn(
          "hover:text-foreground inline-flex items-center gap-1",
          active ? "text-foreground" : "text-muted-foreground",
        )}
      >
        {label}
        <Icon className="size-3.5" aria-hidden />
      </button>
    </TableHead>
  );
}

export function MarketsTable({
  markets,
  search,
  onSort,
}: {
  markets: Market[];
  search: MarketSearch;
  onSort: (column: MarketSort) => void;
}) {
  const num = "text-right tabular-nums";
  return (
    <Table data-testid="markets-table">
      <TableHeader>
        <TableRow>
          <SortHeader label="Ticker" column="ticker" search={search} onSort={onSort} />
          <TableHead>Title</TableHead>
          <TableHead className="text-right">Yes bid</TableHead>
          <TableHead className="text-right">Yes ask</TableHead>
          <TableHead className="text-right" title="Mid when both sides quote, else last trade">
            Yes price
          </TableHead>
          <TableHead className="text-right">Last</TableHead>
          <SortHeader
            label="24h vol"
            column="volume_24h"
            search={search}
            onSort={onSort}
            className="text-right"
          />
          <SortHeader
            label="Open int."
            column="open_interest"
            search={search}
            onSort={onSort}
            className="text-right"
          />
          <TableHead>Status</TableHead>
          <SortHeader label="Closes" column="close_time" search={search} onSort={onSort} />
          <SortHeader label="Updated" column="updated" search={search} onSort={onSort} />
        </TableRow>
      </TableHeader>
      <TableBody>
        {markets.map((m) => (
          <TableRow key={m.market_ticker} data-testid="market-row">
            <TableCell className="font-mono text-xs">
              <Link
                to={`/markets/${encodeURIComponent(m.market_ticker)}`}
                className="text-primary underline-offset-4 hover:underline"
              >
                {m.market_ticker}
              </Link>
            </TableCell>
            <TableCell className="max-w-[18rem] truncate" title={m.title ?? undefined}>
              {m.title ?? "—"}
            </TableCell>
            <TableCell className={cn(num, "text-chart-1")}>
              {m.yes_bid > 0 ? formatCents(m.yes_bid) : "—"}
            </TableCell>
            <TableCell className={cn(num, "text-chart-2")}>
              {m.yes_ask < 1 ? formatCents(m.yes_ask) : "—"}
            </TableCell>
            <TableCell className={cn(num, "font-medium")}>{formatCents(m.yes_price)}</TableCell>
            <TableCell className={num}>{formatCents(m.last_price)}</TableCell>
            <TableCell className={num}>{formatCount(m.volume_24h)}</TableCell>
            <TableCell className={num}>{formatCount(m.open_interest)}</TableCell>
            <TableCell>
              <StatusBadge status={m.status} />
            </TableCell>
            <TableCell>
              <Time iso={m.close_time} variant="short" />
            </TableCell>
            <TableCell>
              <Time iso={m.changed_at ?? m.timestamp} variant="time" />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
