/** One backtest run: metric cards, equity curve, trades and the parameters it ran with. */
import { useSuspenseQuery } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { Link } from "react-router";
import { Area, AreaChart, CartesianGrid, XAxis, YAxis } from "recharts";

import type { Backtest } from "@/api/client";
import type { PageProps } from "@/app/define-page";
import { QueryBoundary } from "@/components/query-boundary";
import { EmptyState } from "@/components/states";
import { Time } from "@/components/time";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import {
  ChartContainer,
  ChartTooltip,
  ChartTooltipContent,
  type ChartConfig,
} from "@/components/ui/chart";
import { Skeleton } from "@/components/ui/skeleton";
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import { backtestQuery, type backtestDetailParams } from "@/features/backtest-detail/queries";
import {
  formatCents,
  formatCount,
  formatDollars,
  formatLocalDateTime,
  formatPercent,
  formatPnl,
  formatRatio,
  formatUtc,
} from "@/lib/format";
import { cn } from "@/lib/cn";
import { pnlClass } from "@/lib/pnl";
import type { NoUrlState } from "@/lib/url-state";

const equityConfig = { equity: { label: "Equity", color: "var(--chart-5)" } } satisfies ChartConfig;

function Metric({ label, value, className }: { label: string; value: string; className?: string }) {
  return (
    <Card className="gap-1 py-4">
      <CardContent className="px-4">
        <p className="text-muted-foreground text-xs uppercase">{label}</p>
        <p className={cn("text-xl font-semibold tabular-nums", className)}>{value}</p>
      </CardContent>
    </Card>
  );
}

function EquityChart({ run }: { run: Backtest }) {
  if (run.equity_curve.length === 0) return <EmptyState title="No equity curve recorded" />;
  const data = run.equity_curve.map((p) => ({ t: Date.parse(p.timestamp), equity: p.equity }));
  return (
    <ChartContainer config={equityConfig} className="aspect-auto h-64 w-full" data-testid="equity-chart">
      <AreaChart data={data} margin={{ left: 4, right: 12, top: 8 }}>
        <CartesianGrid vertical={false} />
        <XAxis
          dataKey="t"
          type="number"
          scale="time"
          domain={["dataMin", "dataMax"]}
          tickFormatter={(t: number) => formatLocalDateTime(new Date(t).toISOString())}
          minTickGap={64}
          tickLine={false}
          axisLine={false}
        />
        <YAxis
          tickFormatter={(v: number) => formatDollars(v)}
          width={72}
          tickLine={false}
          axisLine={false}
        />
        <ChartTooltip
          content={
            <ChartTooltipContent
              labelFormatter={(_l, payload) => {
                const t = (payload[0]?.payload as { t?: number } | undefined)?.t;
                return t === undefined ? "" : formatUtc(new Date(t).toISOString());
              }}
              formatter={(value) => (
                <div className="flex w-full justify-between gap-4">
                  <span className="text-muted-foreground">Equity</span>
                  <span className="font-mono tabular-nums">{formatDollars(value as number)}</span>
                </div>
              )}
            />
          }
        />
        <Area
          dataKey="equity"
          type="stepAfter"
          stroke="var(--color-equity)"
          fill="var(--color-equity)"
          fillOpacity={0.15}
          isAnimationActive={false}
        />
      </AreaChart>
    </ChartContainer>
  );
}

function TradesTable({ run }: { run: Backtest }) {
  if (run.trades.length === 0) return <EmptyState title="No trades" />;
  const num = "text-right tabular-nums";
  return (
    <Table data-testid="trades-table">
      <TableHeader>
        <TableRow>
          <TableHead>Market</TableHead>
          <TableHead>Side</TableHead>
          <TableHead>Entry</TableHead>
          <TableHead className="text-right">Entry price</TableHead>
          <TableHead>Exit</TableHead>
          <TableHead className="text-right">Exit price</TableHead>
          <TableHead className="text-right">Contracts</TableHead>
          <TableHead className="text-right">Fees</TableHead>
          <TableHead className="text-right">PnL</TableHead>
          <TableHead>Exit reason</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {run.trades.map((t, i) => (
          <TableRow key={`${t.market_ticker}/${t.entry_time}/${i}`}>
            <TableCell className="font-mono text-xs">
              <Link to={`/markets/${encodeURIComponent(t.market_ticker)}`} className="underline-offset-4 hover:underline">
                {t.market_ticker}
              </Link>
            </TableCell>
            <TableCell className="uppercase">{t.side}</TableCell>
            <TableCell>
              <Time iso={t.entry_time} />
            </TableCell>
            <TableCell className={num}>{formatCents(t.entry_price)}</TableCell>
            <TableCell>
              <Time iso={t.exit_time} />
            </TableCell>
            <TableCell className={num}>{formatCents(t.exit_price)}</TableCell>
            <TableCell className={num}>{formatCount(t.contracts)}</TableCell>
            <TableCell className={num}>{formatDollars(t.fees)}</TableCell>
            <TableCell className={cn(num, pnlClass(t.pnl))}>{formatPnl(t.pnl)}</TableCell>
            <TableCell>{t.exit_reason}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function BacktestDetail({ id }: { id: number }) {
  const { data: run } = useSuspenseQuery(backtestQuery(id));
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">
          Backtest #{run.id} · {run.strategy_name}
        </h1>
        <p className="text-muted-foreground text-sm">
          <Time iso={run.start} /> → <Time iso={run.end} /> · data {run.data_source} · code{" "}
          <span className="font-mono">{run.code_version}</span>
        </p>
      </div>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4 lg:grid-cols-6" data-testid="metrics">
        <Metric label="Total PnL" value={formatPnl(run.total_pnl)} className={pnlClass(run.total_pnl)} />
        <Metric label={`Sharpe (${run.sharpe_frequency})`} value={formatRatio(run.sharpe_ratio)} />
        <Metric label="Max drawdown" value={formatDollars(run.max_drawdown)} />
        <Metric label="Win rate" value={formatPercent(run.win_rate)} />
        <Metric label="Trades" value={formatCount(run.num_trades)} />
        <Metric label="Fees paid" value={formatDollars(run.fees_paid)} />
        <Metric label="Settlement PnL" value={formatPnl(run.settlement_pnl)} />
        <Metric label="Exit PnL" value={formatPnl(run.exit_pnl)} />
        <Metric label="Marked PnL (open)" value={formatPnl(run.marked_pnl)} />
        <Metric label="Deflated Sharpe" value={formatRatio(run.deflated_sharpe)} />
        <Metric label="Out-of-sample Sharpe" value={formatRatio(run.out_of_sample_sharpe)} />
      </div>
      <Card>
        <CardHeader>
          <CardTitle>Equity curve</CardTitle>
          <CardDescription>Dollars, net of fees</CardDescription>
        </CardHeader>
        <CardContent>
          <EquityChart run={run} />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Trades</CardTitle>
        </CardHeader>
        <CardContent>
          <TradesTable run={run} />
        </CardContent>
      </Card>
      <div className="grid gap-4 md:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Parameters</CardTitle>
          </CardHeader>
          <CardContent>
            <pre className="bg-muted overflow-x-auto rounded-md p-3 text-xs" data-testid="params">
              {JSON.stringify(run.params, null, 2)}
            </pre>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Universe</CardTitle>
          </CardHeader>
          <CardContent>
            <pre className="bg-muted overflow-x-auto rounded-md p-3 text-xs">
              {JSON.stringify(run.universe, null, 2)}
            </pre>
          </CardContent>
        </Card>
      </div>
    </div>
  );
}

export default function BacktestDetailPage({
  params: { id },
}: PageProps<NoUrlState, typeof backtestDetailParams>) {
  return (
    <div className="space-y-4">
      <Link
        to="/backtests"
        className="text-muted-foreground hover:text-foreground inline-flex items-center gap-1 text-sm"
      >
        <ArrowLeft className="size-4" aria-hidden /> Backtests
      </Link>
      {id === null ? (
        <EmptyState title="Not a backtest id">Backtest ids are positive integers.</EmptyState>
      ) : (
        <QueryBoundary
          resetKey={String(id)}
          fallback={<Skeleton className="h-96 w-full" aria-busy="true" data-testid="loading" />}
        >
          <BacktestDetail id={id} />
        </QueryBoundary>
      )}
    </div>
  );
}
