/** Contract: history ranges ask the API for the right window; snapshots become chart points. */
// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { HistoryPoint } from "@/api/client";
import {
  HISTORY_LIMIT,
  extendTo,
  historyParams,
  quoteMid,
  spreadCents,
  toChartPoints,
} from "@/features/market-detail/history";

function point(timestamp: string, yes_bid: number, yes_ask: number, volume: number): HistoryPoint {
  return {
    market_ticker: "T",
    timestamp,
    source: "rest",
    sequence: 1,
    yes_price: 0.5,
    no_price: 0.5,
    yes_bid,
    yes_ask,
    no_bid: 1 - yes_ask,
    no_ask: 1 - yes_bid,
    last_price: 0.5,
    yes_bid_size: 1,
    yes_ask_size: 1,
    volume,
    volume_24h: volume,
    open_interest: 1,
  };
}

describe("historyParams", () => {
  const now = Date.parse("2026-11-27T12:00:00Z");
  it("bounds finite ranges by start", () => {
    expect(historyParams("1h", now)).toEqual({ start: "2026-11-27T11:00:00.000Z", limit: HISTORY_LIMIT });
    expect(historyParams("24h", now).start).toBe("2026-11-26T12:00:00.000Z");
  });
  it("asks for the newest points for all", () => {
    expect(historyParams("all", now)).toEqual({ limit: HISTORY_LIMIT });
  });
});

describe("quote arithmetic", () => {
  it("mids and spreads only when both sides quote", () => {
    expect(quoteMid(0.44, 0.47)).toBeCloseTo(0.455);
    expect(quoteMid(0, 0.03)).toBeNull();
    expect(quoteMid(0.97, 1)).toBeNull();
    expect(quoteMid(0.5, 0.4)).toBeNull();
    expect(spreadCents(0.44, 0.47)).toBe(3);
    expect(spreadCents(0.455, 0.47)).toBe(1.5);
    expect(spreadCents(0, 0.47)).toBeNull();
  });
});

describe("toChartPoints", () => {
  it("orders oldest first, blanks empty sides and differences volume", () => {
    const pts = toChartPoints([
      point("2026-11-27T10:00:10Z", 0.45, 0.47, 130),
      point("2026-11-27T10:00:05Z", 0, 0.47, 100),
      point("2026-11-27T10:00:15Z", 0.45, 1, 120),
    ]);
    expect(pts.map((p) => new Date(p.t).toISOString())).toEqual([
      "2026-11-27T10:00:05.000Z",
      "2026-11-27T10:00:10.000Z",
      "2026-11-27T10:00:15.000Z",
    ]);
    expect(pts.map((p) => p.bid)).toEqual([null, 0.45, 0.45]);
    expect(pts.map((p) => p.ask)).toEqual([0.47, 0.47, null]);
    expect(pts[1]?.mid).toBeCloseTo(0.46);
    expect(pts[0]?.mid).toBeNull();
    // The volume drop (a reset) is clamped to zero, not negative trading.
    expect(pts.map((p) => p.traded)).toEqual([null, 30, 0]);
  });
  it("extends the last quote to when it was last observed", () => {
    const pts = toChartPoints([point("2026-11-27T10:00:05Z", 0.45, 0.47, 100)]);
    const later = Date.parse("2026-11-27T10:05:00Z");
    const ext = extendTo(pts, later);
    expect(ext).toHaveLength(2);
    expect(ext[1]).toMatchObject({ t: later, bid: 0.45, ask: 0.47, traded: null });
    expect(extendTo(pts, Date.parse("2026-11-27T10:00:00Z"))).toBe(pts);
    expect(extendTo([], later)).toEqual([]);
  });
});
