/** Query factories of one market: its latest quote and its stored history for a range. */
import { queryOptions } from "@tanstack/react-query";

import { api, unwrap, type HistoryPoint, type Market } from "@/api/client";
import { historyParams, type HistoryRange } from "@/features/market-detail/history";

export const MARKET_REFRESH_MS = 5_000;

export const marketDetailKeys = {
  all: (ticker: string) => ["market", ticker] as const,
  quote: (ticker: string) => [...marketDetailKeys.all(ticker), "quote"] as const,
  history: (ticker: string, range: HistoryRange) =>
    [...marketDetailKeys.all(ticker), "history", range] as const,
};

export function marketQuery(ticker: string) {
  return queryOptions({
    queryKey: marketDetailKeys.quote(ticker),
    queryFn: async ({ signal }): Promise<Market> =>
      (
        await unwrap(
          api.GET("/api/v1/markets/{ticker}", { params: { path: { ticker } }, signal }),
        )
      ).data,
    refetchInterval: MARKET_REFRESH_MS,
  });
}

export function marketHistoryQuery(ticker: string, range: HistoryRange) {
  return queryOptions({
    // The window's start is computed at fetch time, so a refetch slides it forward.
    queryKey: marketDetailKeys.history(ticker, range),
    queryFn: async ({ signal }): Promise<HistoryPoint[]> =>
      (
        await unwrap(
          api.GET("/api/v1/markets/{ticker}/history", {
            params: { path: { ticker }, query: historyParams(range, Date.now()) },
            signal,
          }),
        )
      ).data,
    refetchInterval: MARKET_REFRESH_MS,
  });
}
