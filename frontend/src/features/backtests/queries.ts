/** Query factories of backtest runs: a page of summaries, and one run in full. */
import { queryOptions } from "@tanstack/react-query";

import { api, totalCount, unwrap, type Backtest, type BacktestSummary } from "@/api/client";

export const BACKTEST_PAGE_SIZE = 50;

export interface BacktestPage {
  items: BacktestSummary[];
  total: number;
}

export const backtestKeys = {
  all: ["backtests"] as const,
  list: (page: number) => [...backtestKeys.all, "list", { page }] as const,
  detail: (id: number) => [...backtestKeys.all, "detail", id] as const,
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

export function backtestQuery(id: number) {
  return queryOptions({
    queryKey: backtestKeys.detail(id),
    queryFn: async ({ signal }): Promise<Backtest> =>
      (
        await unwrap(
          api.GET("/api/v1/backtests/{backtest_id}", {
            params: { path: { backtest_id: id } },
            signal,
          }),
        )
      ).data,
    // A finished run never changes.
    staleTime: Infinity,
  });
}
