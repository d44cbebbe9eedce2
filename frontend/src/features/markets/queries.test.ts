/**
 * Contract: the markets list's query key is stable per search (cache hits) and distinct per
 * page; it refreshes every 5 s; it sends the filters, sort and page, omits empty filters, and
 * reads the total from X-Total-Count.
 */
import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";

import { MARKETS_REFRESH_MS, marketListQuery } from "@/features/markets/queries";
import { DEFAULT_SEARCH } from "@/features/markets/search-params";
import { json, mockApi } from "@/test/api-mock";

const client = () => new QueryClient({ defaultOptions: { queries: { retry: false } } });

describe("marketListQuery", () => {
  it("has equal keys for equal searches and distinct ones per page", () => {
    expect(marketListQuery({ ...DEFAULT_SEARCH }).queryKey).toEqual(
      marketListQuery({ ...DEFAULT_SEARCH }).queryKey,
    );
    expect(marketListQuery({ ...DEFAULT_SEARCH, page: 2 }).queryKey).not.toEqual(
      marketListQuery(DEFAULT_SEARCH).queryKey,
    );
  });

  it("refreshes every 5 s", () => {
    expect(marketListQuery(DEFAULT_SEARCH).refetchInterval).toBe(MARKETS_REFRESH_MS);
    expect(MARKETS_REFRESH_MS).toBe(5000);
  });

  it("sends the filters, sort and page, and reads X-Total-Count", async () => {
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

  it("omits empty filters", async () => {
    const { calls } = mockApi({ "/api/v1/markets": () => json([], { total: 0 }) });
    await client().query(marketListQuery(DEFAULT_SEARCH));
    expect([...(calls[0]?.searchParams.keys() ?? [])].sort()).toEqual(["limit", "offset", "order", "sort"]);
  });
});
