/** Backtest runs, newest first: strategy, window, PnL, Sharpe, drawdown, trades. */
import { useSuspenseQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import type { PageProps } from "@/app/define-page";
import { Pager } from "@/components/pager";
import { QueryBoundary } from "@/components/query-boundary";
import { EmptyState } from "@/components/states";
import { TableSkeleton } from "@/components/table-skeleton";
import { Time } from "@/components/time";
import { Card, CardContent } from "@/components/ui/card";
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import {
  BACKTEST_PAGE_SIZE,
  backtestListQuery,
  backtestsSearch,
} from "@/features/backtests/queries";
import { cn } from "@/lib/cn";
import { formatCount, formatDollars, formatPercent, formatPnl, formatRatio } from "@/lib/format";
import { pnlClass } from "@/lib/pnl";
import { searchHref } from "@/lib/url-state";

const pageHref = (page: number) => searchHref("/backtests", backtestsSearch, { page });

function BacktestList({ page }: { page: number }) {
  const { data } = useSuspenseQuery(backtestListQuery(page));
  if (data.items.length === 0) {
    return (
      <EmptyState title={page > 1 ? "No runs on this page" : "No backtests yet"}>
        Backtests are Dagster assets; materialize one and its run appears here.
      </EmptyState>
    );
  }
  const pages = Math.max(1, Math.ceil(data.total / BACKTEST_PAGE_SIZE));
  const num = "text-right tabular-nums";
  return (
    <div className="space-y-3">
      <Table data-testid="backtests-table">
        <TableHeader>
          <TableRow>
            <TableHead>Run</TableHead>
            <TableHead>Strategy</TableHead>
            <TableHead>Window</TableHead>
            <TableHead className="text-right">PnL</TableHead>
            <TableHead className="text-right">Sharpe</TableHead>
            <TableHead className="text-right">Max drawdown</TableHead>
            <TableHead className="text-right">Win rate</TableHead>
            <TableHead className="text-right">Trades</TableHead>
            <TableHead>Created</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {data.items.map((b) => (
            <TableRow key={b.id} data-testid="backtest-row">
              <TableCell>
                <Link to={`/backtests/${b.id}`} className="text-primary font-mono underline-offset-4 hover:underline">
                  #{b.id}
                </Link>
              </TableCell>
              <TableCell>{b.strategy_name}</TableCell>
              <TableCell>
                <Time iso={b.start} /> → <Time iso={b.end} />
              </TableCell>
              <TableCell className={cn(num, pnlClass(b.total_pnl))}>{formatPnl(b.total_pnl)}</TableCell>
              <TableCell className={num}>{formatRatio(b.sharpe_ratio)}</TableCell>
              <TableCell className={num}>{formatDollars(b.max_drawdown)}</TableCell>
              <TableCell className={num}>{formatPercent(b.win_rate)}</TableCell>
              <TableCell className={num}>{formatCount(b.num_trades)}</TableCell>
              <TableCell>
                <Time iso={b.created_at} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <nav aria-label="Pagination" className="flex items-center justify-between text-sm">
        <p className="text-muted-foreground">
          {formatCount(data.total)} runs · page {page} of {pages}
        </p>
        <Pager
          prev={page > 1 ? pageHref(page - 1) : null}
          next={page < pages ? pageHref(page + 1) : null}
        />
      </nav>
    </div>
  );
}

export default function BacktestsPage({ search: { page } }: PageProps<typeof backtestsSearch>) {
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Backtests</h1>
        <p className="text-muted-foreground text-sm">Runs newest first · PnL net of fees, in dollars</p>
      </div>
      <Card className="py-4">
        <CardContent className="px-4">
          <QueryBoundary fallback={<TableSkeleton rows={5} label="Loading backtests" />}>
            <BacktestList page={page} />
          </QueryBoundary>
        </CardContent>
      </Card>
    </div>
  );
}
