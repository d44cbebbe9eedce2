/**
 * One market's page: its URL state (`/markets/:ticker?range=1h|6h|24h|all`) and the query
 * factories of its latest quote and of its stored history for a range.
 */
import { queryOptions } from "@tanstack/react-query";

import { api, unwrap, type HistoryPoint, type Market } from "@/api/client";
import { RANGES, historyParams, type HistoryRange } from "@/features/market-detail/history";
import { urlField, urlSchema } from "@/lib/url-state";

/** `:ticker`; one with control characters or over 200 characters reads as "" (no market). */
export const marketDetailParams = urlSchema({ ticker: urlField.text() });

/** `?range=`: the chart's window, 24 hours unless the URL names another. */
export const marketDetailSearch = urlSchema({ range: urlField.oneOf(RANGES, "24h") });

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
