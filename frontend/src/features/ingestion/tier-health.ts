/**
 * How an ingestion tier's status reads and which colour it takes.
 *
 * The API decides the status (kalshi_api.ingestion_health) and says why in `reasons`; the SPA
 * only presents it. "Not running" (nothing polled: the workbench or its daemon is stopped, or
 * was) is not a failure of the poller, so it has its own word and a neutral colour, apart from
 * "degraded" (amber) and "failing" (red), which are about ticks a running poller lost.
 */
import type { Schemas, TierStatus } from "@/api/client";
import { ageSeconds } from "@/lib/format";

export type TierState = TierStatus["status"];
export type GapKind = Schemas["GapOut"]["kind"];
/** The colour: `data-level` on the badge, one of the `status-*` CSS colours. */
export type Level = "ok" | "warn" | "bad" | "idle";

export const STATE_TEXT: Record<TierState, string> = {
  ok: "healthy",
  degraded: "degraded",
  failing: "failing",
  not_running: "not running",
};

export const STATE_LEVEL: Record<TierState, Level> = {
  ok: "ok",
  degraded: "warn",
  failing: "bad",
  not_running: "idle",
};

export const GAP_TEXT: Record<GapKind, string> = {
  not_running: "not running",
  failed: "failed",
};

export const GAP_LEVEL: Record<GapKind, Level> = {
  not_running: "idle",
  failed: "bad",
};

export const LEVEL_TEXT_CLASS: Record<Level, string> = {
  ok: "text-status-ok",
  warn: "text-status-warn",
  bad: "text-status-bad",
  idle: "text-status-idle",
};

export const LEVEL_DOT_CLASS: Record<Level, string> = {
  ok: "bg-status-ok",
  warn: "bg-status-warn",
  bad: "bg-status-bad",
  idle: "bg-status-idle",
};

export interface TierHealth {
  state: TierState;
  level: Level;
  text: string;
  /** Seconds since the last ok tick, or null when there never was one. */
  ageS: number | null;
  reasons: string[];
}

export function tierHealth(tier: TierStatus, now: number): TierHealth {
  return {
    state: tier.status,
    level: STATE_LEVEL[tier.status],
    text: STATE_TEXT[tier.status],
    ageS: ageSeconds(tier.last_ok_tick, now),
    reasons: tier.reasons,
  };
}
