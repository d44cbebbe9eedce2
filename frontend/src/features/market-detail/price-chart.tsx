/**
 * Yes bid / ask / mid over time as step lines (a stored snapshot holds until the next one),
 * and the contracts traded between snapshots as bars below, on a shared time axis.
 */
import { Bar, BarChart, CartesianGrid, Line, LineChart, XAxis, YAxis } from "recharts";

import {
  ChartContainer,
  ChartLegend,
  ChartLegendContent,
  ChartTooltip,
  ChartTooltipContent,
  type ChartConfig,
} from "@/components/ui/chart";
import type { ChartPoint } from "@/features/market-detail/history";
import { formatCents, formatCount, formatLocalDateTime, formatLocalHourMinute, formatUtc } from "@/lib/format";

const priceConfig = {
  bid: { label: "Yes bid", color: "var(--chart-1)" },
  ask: { label: "Yes ask", color: "var(--chart-2)" },
  mid: { label: "Mid", color: "var(--chart-3)" },
} satisfies ChartConfig;

const volumeConfig = {
  traded: { label: "Traded", color: "var(--chart-4)" },
} satisfies ChartConfig;

function tickFormatter(spanMs: number) {
  return (t: number) => {
    const iso = new Date(t).toISOString();
    return spanMs > 36 * 3_600_000 ? formatLocalDateTime(iso) : formatLocalHourMinute(iso);
  };
}

function tooltipLabel(_label: unknown, payload: readonly { payload?: unknown }[]): string {
  const p = payload[0]?.payload as ChartPoint | undefined;
  if (!p) return "";
  const iso = new Date(p.t).toISOString();
  return `${formatLocalDateTime(iso)} (${formatUtc(iso)})`;
}

export function PriceChart({ points }: { points: ChartPoint[] }) {
  const first = points[0]?.t ?? 0;
  const last = points.at(-1)?.t ?? 0;
  const fmt = tickFormatter(last - first);
  return (
    <div className="space-y-2" data-testid="price-chart">
      <ChartContainer config={priceConfig} className="aspect-auto h-72 w-full">
        <LineChart data={points} margin={{ left: 4, right: 12, top: 8 }} accessibilityLayer>
          <CartesianGrid vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={["dataMin", "dataMax"]}
            tickFormatter={fmt}
            minTickGap={48}
            tickLine={false}
            axisLine={false}
          />
          <YAxis
            domain={["auto", "auto"]}
            tickFormatter={(v: number) => formatCents(v)}
            width={56}
            tickLine={false}
            axisLine={false}
          />
          <ChartTooltip
            content={
              <ChartTooltipContent
                labelFormatter={tooltipLabel}
                formatter={(value, name) => (
                  <div className="flex w-full justify-between gap-4">
                    <span className="text-muted-foreground">
                      {priceConfig[name as keyof typeof priceConfig].label}
                    </span>
                    <span className="font-mono tabular-nums">{formatCents(value as number)}</span>
                  </div>
                )}
              />
            }
          />
          <ChartLegend content={<ChartLegendContent />} />
          {(["bid", "ask", "mid"] as const).map((key) => (
            <Line
              key={key}
              dataKey={key}
              type="stepAfter"
              stroke={`var(--color-${key})`}
              strokeWidth={key === "mid" ? 2 : 1.5}
              strokeDasharray={key === "mid" ? "4 3" : undefined}
              dot={false}
              isAnimationActive={false}
              connectNulls={false}
            />
          ))}
        </LineChart>
      </ChartContainer>
      <ChartContainer config={volumeConfig} className="aspect-auto h-28 w-full">
        <BarChart data={points} margin={{ left: 4, right: 12 }} accessibilityLayer>
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={["dataMin", "dataMax"]}
            tickFormatter={fmt}
            minTickGap={48}
            tickLine={false}
            axisLine={false}
          />
          <YAxis
            tickFormatter={(v: number) => formatCount(v)}
            width={56}
            tickLine={false}
            axisLine={false}
          />
          <ChartTooltip
            content={
              <ChartTooltipContent
                labelFormatter={tooltipLabel}
                formatter={(value) => (
                  <div className="flex w-full justify-between gap-4">
                    <span className="text-muted-foreground">Traded</span>
                    <span className="font-mono tabular-nums">{formatCount(value as number)}</span>
                  </div>
                )}
              />
            }
          />
          <Bar dataKey="traded" fill="var(--color-traded)" isAnimationActive={false} />
        </BarChart>
      </ChartContainer>
    </div>
  );
}
