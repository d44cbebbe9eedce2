/**
 * Ingestion health per tier: status, freshness, coverage, gaps and recent errors, refreshed every
 * 5 s. Ticks lost while nothing was running and ticks a running poller lost read differently.
 */
import { useSuspenseQuery } from "@tanstack/react-query";

import type { Schemas, TierStatus } from "@/api/client";
import { QueryBoundary } from "@/components/query-boundary";
import { EmptyState } from "@/components/states";
import { TableSkeleton } from "@/components/table-skeleton";
import { Time } from "@/components/time";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import { ingestionStatusQuery } from "@/features/ingestion/queries";
import {
  GAP_LEVEL,
  GAP_TEXT,
  LEVEL_DOT_CLASS,
  LEVEL_TEXT_CLASS,
  tierHealth,
  type TierHealth,
} from "@/features/ingestion/tier-health";
import { formatAge, formatCount, formatPercent } from "@/lib/format";
import { cn } from "@/lib/cn";

function StateBadge({ health }: { health: TierHealth }) {
  return (
    <Badge
      variant="outline"
      data-level={health.level}
      data-status={health.state}
      className={cn("gap-1.5", LEVEL_TEXT_CLASS[health.level])}
    >
      <span aria-hidden className={cn("size-2 rounded-full", LEVEL_DOT_CLASS[health.level])} />
      {health.text}
    </Badge>
  );
}

function Coverage({ label, c }: { label: string; c: Schemas["CoverageOut"] | null | undefined }) {
  if (!c) {
    return (
      <div>
        <dt className="text-muted-foreground text-xs uppercase">{label}</dt>
        <dd className="text-lg font-semibold">—</dd>
        <dd className="text-muted-foreground text-xs">grid interval unknown</dd>
      </div>
    );
  }
  return (
    <div>
      <dt className="text-muted-foreground text-xs uppercase">{label}</dt>
      {/* The headline is what the poller did while it ran: hours the workbench was off are not
          its failures (they are counted apart, as "not running"). */}
      <dd className="text-lg font-semibold tabular-nums" data-testid="running-ratio">
        {formatPercent(c.running_ratio)}{" "}
        <span className="text-muted-foreground text-xs font-normal">ok while running</span>
      </dd>
      <dd className="text-muted-foreground text-xs tabular-nums">
        {formatCount(c.ok)} / {formatCount(c.expected)} ticks ok · {formatCount(c.failed)} failed (
        {formatCount(c.errors)} errors) · {formatCount(c.not_running)} not running
      </dd>
      <dd className="text-muted-foreground text-xs tabular-nums">
        {formatPercent(c.ratio)} of every tick of the period
      </dd>
    </div>
  );
}

function TierCard({ tier, now }: { tier: TierStatus; now: number }) {
  const health = tierHealth(tier, now);
  const gaps = [...(tier.today?.gaps ?? [])].reverse().slice(0, 10);
  return (
    <Card data-testid={`tier-${tier.tier}`}>
      <CardHeader>
        <CardTitle className="flex items-center gap-3 capitalize">
          {tier.tier} <StateBadge health={health} />
        </CardTitle>
        <CardDescription>
          {tier.interval_s ? `Polled every ${tier.interval_s}s` : "Poll interval unknown"}
          {health.reasons.length > 0 && ` · ${health.reasons.join(" · ")}`}
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-5">
        <dl className="grid grid-cols-1 gap-4 sm:grid-cols-3">
          <div>
            <dt className="text-muted-foreground text-xs uppercase">Last ok tick</dt>
            <dd className="text-lg font-semibold tabular-nums">
              {health.ageS === null ? "never" : `${formatAge(health.ageS)} ago`}
            </dd>
            <dd className="text-muted-foreground text-xs">
              <Time iso={tier.last_ok_tick} variant="time" />
              {tier.last_tick && tier.last_tick.status !== "ok" && ` · newest tick ${tier.last_tick.status}`}
            </dd>
          </div>
          <Coverage label="Last hour" c={tier.last_hour} />
          <Coverage label="Today (UTC)" c={tier.today} />
        </dl>
        <div className="grid gap-5 lg:grid-cols-2">
          <section>
            <h3 className="mb-2 text-sm font-medium">Gaps today {gaps.length > 0 && "(newest first)"}</h3>
            {gaps.length === 0 ? (
              <p className="text-muted-foreground text-sm">No gaps.</p>
            ) : (
              <ul className="space-y-1 text-sm tabular-nums">
                {gaps.map((g) => (
                  <li key={g.start} data-gap-kind={g.kind} className="flex items-center gap-2">
                    <span
                      aria-hidden
                      className={cn("size-2 shrink-0 rounded-full", LEVEL_DOT_CLASS[GAP_LEVEL[g.kind]])}
                    />
                    <span>
                      <Time iso={g.start} variant="time" /> – <Time iso={g.end} variant="time" /> (
                      {formatAge((Date.parse(g.end) - Date.parse(g.start)) / 1000 + (tier.interval_s ?? 0))})
                    </span>
                    <span className={cn("text-xs", LEVEL_TEXT_CLASS[GAP_LEVEL[g.kind]])}>{GAP_TEXT[g.kind]}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section>
            <h3 className="mb-2 text-sm font-medium">Errors, last 24 h</h3>
            {tier.recent_errors.length === 0 ? (
              <p className="text-muted-foreground text-sm">No errors.</p>
            ) : (
              <Table>
                <TableHeader>
                  <TableRow>
                    <TableHead>Tick</TableHead>
                    <TableHead>Error</TableHead>
                    <TableHead className="text-right">Retries</TableHead>
                    <TableHead className="text-right">429s</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {tier.recent_errors.map((e) => (
                    <TableRow key={e.tick}>
                      <TableCell>
                        <Time iso={e.tick} />
                      </TableCell>
                      <TableCell className="max-w-[24rem] truncate" title={e.error ?? undefined}>
                        {e.error ?? e.status}
                      </TableCell>
                      <TableCell className="text-right tabular-nums">{e.retries}</TableCell>
                      <TableCell className="text-right tabular-nums">{e.http_429s}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            )}
          </section>
        </div>
      </CardContent>
    </Card>
  );
}

function IngestionTiers() {
  const { data } = useSuspenseQuery(ingestionStatusQuery());
  if (data.tiers.length === 0) return <EmptyState title="No ingestion tiers reported" />;
  // Ages are measured against the server's clock, so a skewed browser clock cannot mislead.
  const now = Date.parse(data.generated_at);
  return (
    <div className="space-y-4">
      {data.tiers.map((t) => (
        <TierCard key={t.tier} tier={t} now={now} />
      ))}
      <p className="text-muted-foreground text-xs">
        As of <Time iso={data.generated_at} variant="time" />
      </p>
    </div>
  );
}

export default function IngestionPage() {
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Ingestion</h1>
        <p className="text-muted-foreground text-sm">
          Poll coverage per tier from the grid of recorded ticks · refreshes every 5 s
        </p>
      </div>
      <QueryBoundary fallback={<TableSkeleton rows={6} label="Loading ingestion status" />}>
        <IngestionTiers />
      </QueryBoundary>
    </div>
  );
}
