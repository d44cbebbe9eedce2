/** Contract: every queryOptions factory has a stable, distinct key and asks the right URL. */
import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";

import { backtestListQuery, backtestQuery } from "@/features/backtests/queries";
import { healthQuery } from "@/features/health/queries";
import { ingestionStatusQuery } from "@/features/ingestion/queries";
import { marketHistoryQuery, marketQuery } from "@/features/market-detail/queries";
import { MARKETS_REFRESH_MS, marketListQuery } from "@/features/markets/queries";
import { DEFAULT_SEARCH } from "@/features/markets/search-params";
import { json, mockApi } from "@/test/api-mock";

const client = () => new QueryClient({ defaultOptions: { queries: { retry: false } } });

describe("query keys", () => {
  it("are distinct per resource and parameter", () => {
    const keys = [
      marketListQuery(DEFAULT_SEARCH).queryKey,
      marketListQuery({ ...DEFAULT_SEARCH, page: 2 }).queryKey,
      marketQuery("A").queryKey,
      marketQuery("B").queryKey,
      marketHistoryQuery("A", "1h").queryKey,
      marketHistoryQuery("A", "all").queryKey,
      backtestListQuery(1).queryKey,
      backtestQuery(7).queryKey,
      ingestionStatusQuery().queryKey,
      healthQuery().queryKey,
    ].map((k) => JSON.stringify(k));
    expect(new Set(keys).size).toBe(keys.length);
  });
  it("are equal for equal parameters (cache hits)", () => {
    expect(marketListQuery({ ...DEFAULT_SEARCH }).queryKey).toEqual(
      marketListQuery({ ...DEFAULT_SEARCH }).queryKey,
    );
    expect(marketQuery("A").queryKey).toEqual(["market", "A", "quote"]);
    expect(marketHistoryQuery("A", "6h").queryKey).toEqual(["market", "A", "history", "6h"]);
  });
  it("refresh the markets list every 5 s", () => {
    expect(marketListQuery(DEFAULT_SEARCH).refetchInterval).toBe(MARKETS_REFRESH_MS);
    expect(MARKETS_REFRESH_MS).toBe(5000);
  });
});

describe("query functions", () => {
  it("send the markets filters, sort and page, and read X-Total-Count", async () => {
    const { calls } = mockApi({ "/api/v1/markets": () => json([], { total: 3899 }) });
    const page = await client().query(
      marketListQuery({
        search: "btc",
        status: "active",
        series: "KXBTC",
        event: "KXBTC-26NOV2717",
        sort: "volume_24h",
        order: "desc",
        page: 3,
      }),
    );
    expect(page).toEqual({ items: [], total: 3899 });
    const q = Object.fromEntries(calls[0]?.searchParams ?? []);
    expect(q).toEqual({
      search: "btc",
      status: "active",
      series: "KXBTC",
      event: "KXBTC-26NOV2717",
      sort: "volume_24h",
      order: "desc",
      limit: "50",
      offset: "100",
    });
  });
  it("omit empty filters", async () => {
    const { calls } = mockApi({ "/api/v1/markets": () => json([], { total: 0 }) });
    await client().query(marketListQuery(DEFAULT_SEARCH));
    expect([...(calls[0]?.searchParams.keys() ?? [])].sort()).toEqual(["limit", "offset", "order", "sort"]);
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
  it("return the health body even on 503", async () => {
    const body = {
      status: "unavailable",
      database: "unavailable",
      detail: "db down",
      checked_at: "2026-11-27T00:00:00Z",
      ingestion: [],
    };
    mockApi({ "/health": () => json(body, { status: 503 }) });
    await expect(client().query(healthQuery())).resolves.toEqual(body);
  });
});
