/** Contract: each API status of a tier has its own word and colour; "not running" is not amber or red. */
// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { TierStatus } from "@/api/client";
import { GAP_LEVEL, GAP_TEXT, STATE_LEVEL, tierHealth, type TierState } from "@/features/ingestion/tier-health";

const NOW = Date.parse("2026-11-27T12:00:00Z");

function tier(status: TierState, ageS: number | null, reasons: string[] = []): TierStatus {
  return {
    tier: "watchlist",
    enabled: true,
    status,
    reasons,
    interval_s: 5,
    stale_after_s: 60,
    last_tick: null,
    last_ok_tick: ageS === null ? null : new Date(NOW - ageS * 1000).toISOString(),
    last_live_tick: null,
    last_hour: null,
    today: null,
    recent_errors: [],
  };
}

describe("tierHealth", () => {
  it("presents the API's status with its reasons", () => {
    expect(tierHealth(tier("ok", 4), NOW)).toEqual({
      state: "ok",
      level: "ok",
      text: "healthy",
      ageS: 4,
      reasons: [],
    });
    const stopped = tierHealth(tier("not_running", 7200, ["not running: nothing polled for 2 h"]), NOW);
    expect(stopped).toMatchObject({ level: "idle", text: "not running", ageS: 7200 });
    expect(stopped.reasons).toEqual(["not running: nothing polled for 2 h"]);
    expect(tierHealth(tier("degraded", 4), NOW)).toMatchObject({ level: "warn", text: "degraded" });
    expect(tierHealth(tier("failing", 90), NOW)).toMatchObject({ level: "bad", text: "failing" });
    expect(tierHealth(tier("not_running", null), NOW).ageS).toBeNull();
  });

  it("gives every status and gap kind a distinct colour", () => {
    expect(new Set(Object.values(STATE_LEVEL)).size).toBe(4);
    expect(GAP_LEVEL.not_running).toBe(STATE_LEVEL.not_running);
    expect(GAP_LEVEL.failed).toBe(STATE_LEVEL.failing);
    expect(GAP_TEXT).toEqual({ not_running: "not running", failed: "failed" });
  });
});
