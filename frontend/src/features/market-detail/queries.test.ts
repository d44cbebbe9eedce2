/**
 * Contract: a market's quote and history have stable keys under the market's own prefix; the
 * history request encodes the ticker in the path and bounds the window by `start`.
 */
import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";

import { marketHistoryQuery, marketQuery } from "@/features/market-detail/queries";
import { json, mockApi } from "@/test/api-mock";

const client = () => new QueryClient({ defaultOptions: { queries: { retry: false } } });

describe("market queries", () => {
  it("key the quote and each history range under the ticker", () => {
    expect(marketQuery("A").queryKey).toEqual(["market", "A", "quote"]);
    expect(marketHistoryQuery("A", "6h").queryKey).toEqual(["market", "A", "history", "6h"]);
  });

  it("encode tickers in paths and bound history by start", async () => {
    const { calls } = mockApi({
      "/api/v1/markets/[^/]+/history": () => json([]),
    });
    const before = Date.now();
    await client().query(marketHistoryQuery("KXHIGHNY-26NOV27-B45.5", "6h"));
    const after = Date.now();
    const url = calls[0];
    expect(url?.pathname).toBe("/api/v1/markets/KXHIGHNY-26NOV27-B45.5/history");
    const start = Date.parse(url?.searchParams.get("start") ?? "");
    const sixHours = 6 * 3600 * 1000;
    expect(start).toBeGreaterThanOrEqual(before - sixHours);
    expect(start).toBeLessThanOrEqual(after - sixHours);
    expect(url?.searchParams.get("limit")).toBe("10000");
  });
});
