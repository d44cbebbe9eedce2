/**
 * The reliability diagram: each band's mean price (x) against how often YES settled (y), the
 * point's area proportional to its contracts; on the dashed diagonal, prices were calibrated.
 */
import {
  CartesianGrid,
  ReferenceLine,
  Scatter,
  ScatterChart,
  XAxis,
  YAxis,
  ZAxis,
  type TooltipContentProps,
} from "recharts";

import { EmptyState } from "@/components/states";
import { ChartContainer, ChartTooltip, type ChartConfig } from "@/components/ui/chart";
import {
  formatMeanPrice,
  formatTickPercent,
  reliabilityPoints,
  type ReliabilityPoint,
} from "@/features/calibration/bands";
import type { CalibrationBand } from "@/features/calibration/queries";
import { formatCents, formatCount, formatPercent } from "@/lib/format";

const config = {
  bands: { label: "Price bands", color: "var(--chart-1)" },
  ideal: { label: "Perfect calibration", color: "var(--muted-foreground)" },
} satisfies ChartConfig;

const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];

function BandTooltip({ active, payload }: Partial<TooltipContentProps<number, string>>) {
  const point = payload?.[0]?.payload as ReliabilityPoint | undefined;
  if (!active || !point) return null;
  return (
    <div className="bg-background grid gap-1 rounded-lg border px-2.5 py-1.5 text-xs shadow-xl">
      <p className="font-medium">Band {point.band}</p>
      <p>
        Mean price <span className="font-mono tabular-nums">{formatMeanPrice(point.price)}</span>
      </p>
      <p>
        YES won <span className="font-mono tabular-nums">{formatPercent(point.winRate)}</span>
      </p>
      <p className="text-muted-foreground">
        {formatCount(point.contracts)} contracts · {formatCount(point.observations)} prints
      </p>
    </div>
  );
}

export function ReliabilityChart({ bands }: { bands: CalibrationBand[] }) {
  const points = reliabilityPoints(bands);
  if (points.length === 0) {
    return <EmptyState title="No observations">Every print of this scope was excluded.</EmptyState>;
  }
  return (
    <ChartContainer
      config={config}
      className="aspect-square max-h-[420px] w-full"
      data-testid="reliability-chart"
    >
      <ScatterChart margin={{ left: 4, right: 20, top: 20, bottom: 16 }}>
        <CartesianGrid />
        <XAxis
          type="number"
          dataKey="price"
          name="Mean price"
          domain={[0, 1]}
          ticks={TICKS}
          tickFormatter={(v: number) => formatCents(v)}
          label={{ value: "Mean price of the band", position: "insideBottom", offset: -8 }}
        />
        <YAxis
          type="number"
          dataKey="winRate"
          name="YES win rate"
          domain={[0, 1]}
          ticks={TICKS}
          tickFormatter={formatTickPercent}
          width={48}
        />
        <ZAxis type="number" dataKey="contracts" range={[40, 900]} name="Contracts" />
        <ReferenceLine
          segment={[
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ]}
          stroke="var(--color-ideal)"
          strokeDasharray="5 5"
          data-testid="calibration-diagonal"
        />
        <ChartTooltip cursor={false} content={<BandTooltip />} />
        <Scatter
          name="Price bands"
          data={points}
          fill="var(--color-bands)"
          fillOpacity={0.7}
          isAnimationActive={false}
        />
      </ScatterChart>
    </ChartContainer>
  );
}
