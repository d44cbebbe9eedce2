/** Contract: how prices, money, counts, ratios, ages and times read across the SPA. */
// @vitest-environment node
import { describe, expect, it } from "vitest";

import {
  ageSeconds,
  formatAge,
  formatCents,
  formatCompact,
  formatCount,
  formatDollars,
  formatLocalDateTime,
  formatLocalShortDateTime,
  formatLocalTime,
  formatPercent,
  formatPnl,
  formatRatio,
  formatUtc,
  toCents,
} from "@/lib/format";

describe("prices in cents", () => {
  it("reads whole and sub-cent prices without float noise", () => {
    expect(formatCents(0.52)).toBe("52¢");
    expect(formatCents(0.455)).toBe("45.5¢");
    expect(formatCents(0.07)).toBe("7¢");
    expect(formatCents(0.000123)).toBe("0.0123¢");
    expect(formatCents(1)).toBe("100¢");
    expect(formatCents(0)).toBe("0¢");
    expect(toCents(0.29)).toBe(29);
  });
  it("shows a dash for a missing price", () => {
    expect(formatCents(null)).toBe("—");
    expect(formatCents(undefined)).toBe("—");
    expect(formatCents(Number.NaN)).toBe("—");
  });
});

describe("money in dollars", () => {
  it("formats amounts and signed PnL", () => {
    expect(formatDollars(1234.5)).toBe("$1,234.50");
    expect(formatDollars(-12.3)).toBe("-$12.30");
    expect(formatPnl(12.34)).toBe("+$12.34");
    expect(formatPnl(-4.2)).toBe("-$4.20");
    expect(formatPnl(0)).toBe("$0.00");
    expect(formatPnl(null)).toBe("—");
  });
});

describe("counts and ratios", () => {
  it("groups contracts and keeps fractional counts", () => {
    expect(formatCount(23947407)).toBe("23,947,407");
    expect(formatCount(10.5)).toBe("10.5");
    expect(formatCompact(23947407)).toBe("23.9M");
    expect(formatPercent(0.985)).toBe("98.5%");
    expect(formatRatio(1.234)).toBe("1.23");
    expect(formatRatio(null)).toBe("—");
  });
});

describe("times", () => {
  const iso = "2026-11-27T04:50:05.000000Z";
  it("gives the UTC instant unambiguously", () => {
    expect(formatUtc(iso)).toBe("2026-11-27 04:50:05 UTC");
    expect(formatUtc("not a time")).toBe("—");
    expect(formatUtc(null)).toBe("—");
  });
  it("uses the given locale and time zone", () => {
    expect(formatLocalTime(iso, "en-GB", "Europe/Berlin")).toBe("05:50:05");
    expect(formatLocalDateTime(iso, "en-US", "America/New_York")).toBe("Nov 26, 2026, 11:50 PM");
    expect(formatLocalShortDateTime(iso, "en-US", "UTC")).toBe("Nov 27, 04:50 AM");
  });
  it("reads ages coarsely", () => {
    expect(formatAge(4.2)).toBe("4s");
    expect(formatAge(130)).toBe("2m 10s");
    expect(formatAge(11_000)).toBe("3h 3m");
    expect(formatAge(200_000)).toBe("2d 7h");
    expect(formatAge(-3)).toBe("0s");
    expect(formatAge(null)).toBe("—");
    expect(ageSeconds("2026-11-27T04:50:00Z", Date.parse("2026-11-27T04:50:30Z"))).toBe(30);
    expect(ageSeconds(null, 0)).toBeNull();
  });
});
