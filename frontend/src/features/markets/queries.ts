/** Query factories of the markets list (and the series list its filter offers). */
import { queryOptions } from "@tanstack/react-query";

import { api, totalCount, unwrap, type Market, type SeriesItem } from "@/api/client";
import { PAGE_SIZE, type MarketSearch } from "@/features/markets/search-params";

export const MARKETS_REFRESH_MS = 5_000;

export interface MarketPage {
  items: Market[];
  total: number;
}

export const marketKeys = {
  all: ["markets"] as const,
  lists: () => [...marketKeys.all, "list"] as const,
  list: (s: MarketSearch) => [...marketKeys.lists(), s] as const,
};

export function marketListQuery(s: MarketSearch) {
  const offset = (s.page - 1) * PAGE_SIZE;
  return queryOptions({
    queryKey: marketKeys.list(s),
    queryFn: async ({ signal }): Promise<MarketPage> => {
      const { data, response } = await unwrap(
        api.GET("/api/v1/markets", {
          params: {
            query: {
              search: s.search || undefined,
              status: s.status ?? undefined,
              series: s.series || undefined,
              event: s.event || undefined,
              sort: s.sort,
              order: s.order,
              limit: PAGE_SIZE,
              offset,
            },
          },
          signal,
        }),
      );
      // Without the header, the best lower bound is what we have seen.
      return { items: data, total: totalCount(response) ?? offset + data.length };
    },
    refetchInterval: MARKETS_REFRESH_MS,
  });
}

export const seriesKeys = { list: () => ["series", "list"] as const };

export function seriesListQuery() {
  return queryOptions({
    queryKey: seriesKeys.list(),
    queryFn: async ({ signal }): Promise<SeriesItem[]> =>
      (await unwrap(api.GET("/api/v1/series", { params: { query: { limit: 1000 } }, signal }))).data,
    staleTime: 5 * 60_000,
  });
}
