/**
 * Calibration: do trade prices match how often YES settles? A selector of stored analyses, the
 * reliability diagram, the Brier score and the band table (definition: docs/CALIBRATION.md).
 */
import { useSuspenseQuery } from "@tanstack/react-query";

import type { PageProps } from "@/app/define-page";
import { QueryBoundary } from "@/components/query-boundary";
import { EmptyState } from "@/components/states";
import { TableSkeleton } from "@/components/table-skeleton";
import { Time } from "@/components/time";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { NativeSelect, NativeSelectOption } from "@/components/ui/native-select";
import { Skeleton } from "@/components/ui/skeleton";
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import {
  bandLabel,
  formatMeanPrice,
  formatReturn,
  scopeLabel,
  windowLabel,
} from "@/features/calibration/bands";
import {
  calibrationListQuery,
  calibrationQuery,
  type Calibration,
  type calibrationSearch,
  type CalibrationSummary,
} from "@/features/calibration/queries";
import { ReliabilityChart } from "@/features/calibration/reliability-chart";
import { cn } from "@/lib/cn";
import { formatCount, formatDollars, formatPercent } from "@/lib/format";
import { pnlClass } from "@/lib/pnl";

function Metric({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Card className="gap-1 py-4">
      <CardContent className="px-4">
        <p className="text-muted-foreground text-xs uppercase">{label}</p>
        <p className="text-xl font-semibold tabular-nums">{value}</p>
        {hint ? <p className="text-muted-foreground text-xs">{hint}</p> : null}
      </CardContent>
    </Card>
  );
}

function optionLabel(a: CalibrationSummary): string {
  return `#${String(a.id)} · ${scopeLabel(a)} · window ${windowLabel(a.close_window_s)} · ${formatCount(a.observations)} prints`;
}

function BandTable({ analysis }: { analysis: Calibration }) {
  const num = "text-right tabular-nums";
  const last = analysis.bands.length - 1;
  return (
    <Table data-testid="bands-table">
      <TableHeader>
        <TableRow>
          <TableHead>Price band</TableHead>
          <TableHead className="text-right">Observations</TableHead>
          <TableHead className="text-right">Contracts</TableHead>
          <TableHead className="text-right">Mean price</TableHead>
          <TableHead className="text-right">YES win rate</TableHead>
          <TableHead className="text-right">Return after fees</TableHead>
          <TableHead className="text-right">Taker fees</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {analysis.bands.map((b, i) => (
          <TableRow key={b.lower} data-testid="band-row">
            <TableCell className="font-mono text-xs">{bandLabel(b, i === last)}</TableCell>
            <TableCell className={num}>{formatCount(b.observations)}</TableCell>
            <TableCell className={num}>{formatCount(b.contracts)}</TableCell>
            <TableCell className={num}>{formatMeanPrice(b.mean_price)}</TableCell>
            <TableCell className={num}>{formatPercent(b.win_rate)}</TableCell>
            <TableCell className={cn(num, pnlClass(b.return_after_fees))}>
              {formatReturn(b.return_after_fees)}
            </TableCell>
            <TableCell className={num}>{formatDollars(b.fees)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function Analysis({ id }: { id: number }) {
  const { data: a } = useSuspenseQuery(calibrationQuery(id));
  const excluded = Object.values(a.exclusions).reduce((s, n) => s + n, 0);
  const reasons = Object.entries(a.exclusions)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason.replaceAll("_", " ")} ${formatCount(n)}`)
    .join(" · ");
  return (
    <div className="space-y-4" data-testid="calibration-analysis">
      <p className="text-muted-foreground text-sm">
        {scopeLabel(a)} · prints within {windowLabel(a.close_window_s)} of the close left out ·
        trades <Time iso={a.first_trade_at} /> → <Time iso={a.last_trade_at} /> · computed{" "}
        <Time iso={a.computed_at} />
      </p>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-5" data-testid="calibration-metrics">
        <Metric
          label="Brier score"
          value={a.brier === null ? "—" : a.brier.toFixed(4)}
          hint="contract-weighted; 0 is perfect"
        />
        <Metric label="Observations" value={formatCount(a.observations)} hint="trade prints" />
        <Metric label="Contracts" value={formatCount(a.contracts)} />
        <Metric label="Markets" value={formatCount(a.markets)} hint="settled yes or no" />
        <Metric label="Excluded prints" value={formatCount(excluded)} hint={reasons || undefined} />
      </div>
      <div className="grid gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <Card>
          <CardHeader>
            <CardTitle>Reliability diagram</CardTitle>
            <CardDescription>
              YES win rate against mean price per band; point area ∝ contracts; dashed: perfect
              calibration
            </CardDescription>
          </CardHeader>
          <CardContent>
            <ReliabilityChart bands={a.bands} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Price bands</CardTitle>
            <CardDescription>
              Contract-weighted; return of buying YES at the print&apos;s price as a taker and
              holding to settlement, after Kalshi&apos;s taker fee
            </CardDescription>
          </CardHeader>
          <CardContent>
            <BandTable analysis={a} />
          </CardContent>
        </Card>
      </div>
    </div>
  );
}

function CalibrationView({
  requested,
  onSelect,
}: {
  requested: number | null;
  onSelect: (id: number) => void;
}) {
  const { data: list } = useSuspenseQuery(calibrationListQuery());
  const first = list.items[0];
  if (first === undefined && requested === null) {
    return (
      <EmptyState title="No calibration analyses yet">
        Calibration is a Dagster asset: backfill or import trades of settled markets, then
        materialize a partition of <span className="font-mono">calibration</span> (one per series,
        or <span className="font-mono">all</span>).
      </EmptyState>
    );
  }
  const id = requested ?? first?.id ?? 0;
  const listed = list.items.some((a) => a.id === id);
  return (
    <div className="space-y-4">
      <label className="flex flex-wrap items-center gap-2 text-sm">
        <span className="text-muted-foreground">Analysis</span>
        <NativeSelect
          value={String(id)}
          onChange={(e) => {
            onSelect(Number(e.target.value));
          }}
          aria-label="Stored analysis"
          data-testid="analysis-select"
          className="min-w-80"
        >
          {listed ? null : <NativeSelectOption value={String(id)}>#{id}</NativeSelectOption>}
          {list.items.map((a) => (
            <NativeSelectOption key={a.id} value={String(a.id)}>
              {optionLabel(a)}
            </NativeSelectOption>
          ))}
        </NativeSelect>
        <span className="text-muted-foreground">{formatCount(list.total)} stored</span>
      </label>
      <QueryBoundary
        resetKey={String(id)}
        fallback={<Skeleton className="h-96 w-full" aria-busy="true" data-testid="loading" />}
      >
        <Analysis id={id} />
      </QueryBoundary>
    </div>
  );
}

export default function CalibrationPage({
  search: { id: requested },
  setSearch,
}: PageProps<typeof calibrationSearch>) {
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Calibration</h1>
        <p className="text-muted-foreground text-sm">
          Do trade prices match how often YES settles? Trade prints of settled markets, banded by
          price, weighted by contracts
        </p>
      </div>
      <QueryBoundary fallback={<TableSkeleton rows={5} label="Loading analyses" />}>
        <CalibrationView
          requested={requested}
          onSelect={(id) => {
            setSearch({ id });
          }}
        />
      </QueryBoundary>
    </div>
  );
}
