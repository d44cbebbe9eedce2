/** Contract: a tier's green/amber/red follows freshness, last-hour coverage and errors. */
// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { TierStatus } from "@/api/client";
import { tierHealth } from "@/features/ingestion/tier-health";

const NOW = Date.parse("2026-11-27T12:00:00Z");

function tier(ageS: number | null, ratio = 1, errors = 0): TierStatus {
  return {
    tier: "watchlist",
    interval_s: 5,
    last_tick: null,
    last_ok_tick: ageS === null ? null : new Date(NOW - ageS * 1000).toISOString(),
    last_hour: {
      start: "2026-11-27T11:00:00Z",
      end: "2026-11-27T12:00:00Z",
      expected: 720,
      ok: Math.round(720 * ratio),
      missed: 720 - Math.round(720 * ratio),
      errors,
      ratio,
      gaps: [],
    },
    today: null,
    recent_errors: [],
  };
}

describe("tierHealth", () => {
  it("is green when fresh and complete", () => {
    expect(tierHealth(tier(4), NOW)).toEqual({ level: "ok", ageS: 4, reasons: [] });
  });
  it("is amber when a few ticks late, slightly incomplete or erroring", () => {
    expect(tierHealth(tier(20), NOW).level).toBe("warn");
    expect(tierHealth(tier(4, 0.95), NOW).level).toBe("warn");
    const h = tierHealth(tier(4, 1, 2), NOW);
    expect(h.level).toBe("warn");
    expect(h.reasons).toContain("2 error ticks in the last hour");
  });
  it("is red when stopped, mostly missing or never ran", () => {
    expect(tierHealth(tier(60), NOW).level).toBe("bad");
    expect(tierHealth(tier(4, 0.5), NOW).level).toBe("bad");
    expect(tierHealth(tier(null), NOW)).toEqual({
      level: "bad",
      ageS: null,
      reasons: ["no successful tick recorded"],
    });
  });
});
