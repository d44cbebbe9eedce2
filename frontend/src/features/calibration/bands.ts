/** How an analysis reads: band labels, scope and window wording, and the diagram's points. */
import type { CalibrationBand, CalibrationSummary } from "@/features/calibration/queries";
import { formatCents } from "@/lib/format";

const signedPercent = new Intl.NumberFormat("en-US", {
  style: "percent",
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
  signDisplay: "exceptZero",
});

const meanCents = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const wholePercent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 0 });

/** A band's mean price in cents to a tenth: 0.571134 -> "57.1¢" (more digits would be noise). */
export function formatMeanPrice(dollars: number | null | undefined): string {
  if (dollars === null || dollars === undefined || !Number.isFinite(dollars)) return "—";
  return `${meanCents.format(dollars * 100)}¢`;
}

/** An axis tick: 0.8 -> "80%". */
export function formatTickPercent(ratio: number): string {
  return wholePercent.format(ratio);
}

/** "[50¢, 65¢)"; the last band holds its upper edge: "[95¢, 100¢]". */
export function bandLabel(band: CalibrationBand, isLast: boolean): string {
  return `[${formatCents(band.lower)}, ${formatCents(band.upper)}${isLast ? "]" : ")"}`;
}

/** A return per dollar as a signed percentage: 0.089283 -> "+8.9%". */
export function formatReturn(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  return signedPercent.format(x);
}

export function scopeLabel(a: Pick<CalibrationSummary, "series_ticker">): string {
  return a.series_ticker ?? "All series (pooled)";
}

/** 600 -> "10 min", 90 -> "90 s", 0 -> "none". */
export function windowLabel(seconds: number): string {
  if (seconds === 0) return "none";
  return seconds % 60 === 0 ? `${String(seconds / 60)} min` : `${String(seconds)} s`;
}

export interface ReliabilityPoint {
  band: string;
  price: number;
  winRate: number;
  contracts: number;
  observations: number;
}

/** One point per band with observations: x = mean price, y = YES win rate, size = contracts. */
export function reliabilityPoints(bands: CalibrationBand[]): ReliabilityPoint[] {
  const points: ReliabilityPoint[] = [];
  bands.forEach((b, i) => {
    if (b.observations === 0 || b.mean_price === null || b.win_rate === null) return;
    points.push({
      band: bandLabel(b, i === bands.length - 1),
      price: b.mean_price,
      winRate: b.win_rate,
      contracts: b.contracts,
      observations: b.observations,
    });
  });
  return points;
}
