/**
 * The backtest runs page: its URL state (`/backtests?page=N`) and the query factory of a page of
 * run summaries, newest first.
 */
import { queryOptions } from "@tanstack/react-query";

import { api, totalCount, unwrap, type BacktestSummary } from "@/api/client";
import { urlField, urlSchema } from "@/lib/url-state";

export const BACKTEST_PAGE_SIZE = 50;

/** `?page=`: a positive integer, page 1 otherwise. */
export const backtestsSearch = urlSchema({ page: urlField.page() });

export interface BacktestPage {
  items: BacktestSummary[];
  total: number;
}

export const backtestKeys = {
  all: ["backtests"] as const,
  list: (page: number) => [...backtestKeys.all, "list", { page }] as const,
};

export function backtestListQuery(page: number) {
  const offset = (page - 1) * BACKTEST_PAGE_SIZE;
  return queryOptions({
    queryKey: backtestKeys.list(page),
    queryFn: async ({ signal }): Promise<BacktestPage> => {
      const { data, response } = await unwrap(
        api.GET("/api/v1/backtests", {
          params: { query: { limit: BACKTEST_PAGE_SIZE, offset } },
          signal,
        }),
      );
      return { items: data, total: totalCount(response) ?? offset + data.length };
    },
    refetchInterval: 30_000,
  });
}
