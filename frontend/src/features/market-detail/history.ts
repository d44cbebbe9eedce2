/**
 * Price history for the chart: which snapshots a range asks for, and how stored snapshots
 * (newest first, stored only when the quote changed) become chart points.
 */
import type { HistoryPoint } from "@/api/client";
import { toCents } from "@/lib/format";

export const RANGES = ["1h", "6h", "24h", "all"] as const;
export type HistoryRange = (typeof RANGES)[number];

const RANGE_SECONDS: Record<Exclude<HistoryRange, "all">, number> = {
  "1h": 3_600,
  "6h": 6 * 3_600,
  "24h": 24 * 3_600,
};

/** The API's upper bound on `limit`. */
export const HISTORY_LIMIT = 10_000;

/** Query parameters of `/history` for a range, as of `now` (ms epoch). */
export function historyParams(range: HistoryRange, now: number): { start?: string; limit: number } {
  if (range === "all") return { limit: HISTORY_LIMIT };
  return { start: new Date(now - RANGE_SECONDS[range] * 1000).toISOString(), limit: HISTORY_LIMIT };
}

export interface ChartPoint {
  /** ms epoch */
  t: number;
  /** null where the side is empty (no YES bid / no YES ask): there is no price to draw. */
  bid: number | null;
  ask: number | null;
  /** null unless both sides quote, the same rule as the API's yes_price. */
  mid: number | null;
  last: number;
  /** Contracts traded since the previous point (null for the first point). */
  traded: number | null;
}

export function quoteMid(bid: number, ask: number): number | null {
  if (bid > 0 && ask < 1 && ask >= bid) return (bid + ask) / 2;
  return null;
}

/** Bid-ask spread in cents when both sides quote. */
export function spreadCents(bid: number, ask: number): number | null {
  if (bid > 0 && ask < 1 && ask >= bid) return toCents(ask) - toCents(bid);
  return null;
}

/** Snapshots in any order -> points oldest first, with per-interval traded volume. */
export function toChartPoints(history: readonly HistoryPoint[]): ChartPoint[] {
  const sorted = [...history].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  const points: ChartPoint[] = [];
  let prevVolume: number | null = null;
  for (const h of sorted) {
    // Volume is cumulative; a drop (a data reset) is not negative trading.
    const traded = prevVolume === null ? null : Math.max(0, h.volume - prevVolume);
    prevVolume = h.volume;
    points.push({
      t: Date.parse(h.timestamp),
      bid: h.yes_bid > 0 ? h.yes_bid : null,
      ask: h.yes_ask < 1 ? h.yes_ask : null,
      mid: quoteMid(h.yes_bid, h.yes_ask),
      last: h.last_price,
      traded,
    });
  }
  return points;
}

/**
 * Extends the step line to `observedAt` (the latest time the quote was seen) when that is
 * later than the last stored change: unchanged quotes are not stored, yet they held until then.
 */
export function extendTo(points: ChartPoint[], observedAt: number | null): ChartPoint[] {
  const last = points.at(-1);
  if (!last || observedAt === null || observedAt <= last.t) return points;
  return [...points, { ...last, t: observedAt, traded: null }];
}
