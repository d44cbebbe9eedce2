/**
 * Green / amber / red for an ingestion tier, with the reasons in words.
 *
 * red: no ok tick ever, or the last ok tick is older than 10 grid intervals (ingestion stopped),
 *      or under 80% of the last hour's ticks are ok;
 * amber: the last ok tick is older than 3 intervals, under 99% of the last hour is ok,
 *      or there were errors in the last hour;
 * green otherwise.
 */
import type { TierStatus } from "@/api/client";
import { ageSeconds, formatAge, formatPercent } from "@/lib/format";

export type Level = "ok" | "warn" | "bad";

export interface TierHealth {
  level: Level;
  ageS: number | null;
  reasons: string[];
}

const worse = (a: Level, b: Level): Level => (a === "bad" || b === "bad" ? "bad" : a === "warn" || b === "warn" ? "warn" : "ok");

export function tierHealth(tier: TierStatus, now: number): TierHealth {
  const reasons: string[] = [];
  let level: Level = "ok";
  const ageS = ageSeconds(tier.last_ok_tick, now);
  const interval = tier.interval_s ?? 60;
  if (ageS === null) {
    return { level: "bad", ageS, reasons: ["no successful tick recorded"] };
  }
  if (ageS > 10 * interval) {
    level = "bad";
    reasons.push(`last ok tick ${formatAge(ageS)} ago (grid ${interval}s)`);
  } else if (ageS > 3 * interval) {
    level = worse(level, "warn");
    reasons.push(`last ok tick ${formatAge(ageS)} ago (grid ${interval}s)`);
  }
  const hour = tier.last_hour;
  if (hour && hour.expected > 0) {
    if (hour.ratio < 0.8) {
      level = "bad";
      reasons.push(`only ${formatPercent(hour.ratio)} of the last hour's ticks ok`);
    } else if (hour.ratio < 0.99) {
      level = worse(level, "warn");
      reasons.push(`${formatPercent(hour.ratio)} of the last hour's ticks ok`);
    }
    if (hour.errors > 0) {
      level = worse(level, "warn");
      reasons.push(`${hour.errors} error tick${hour.errors === 1 ? "" : "s"} in the last hour`);
    }
  }
  return { level, ageS, reasons };
}
