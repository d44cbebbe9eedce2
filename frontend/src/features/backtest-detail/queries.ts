/** One backtest run's page: its URL state (`/backtests/:id`) and the query factory of the run. */
import { queryOptions } from "@tanstack/react-query";

import { api, unwrap, type Backtest } from "@/api/client";
import { backtestKeys } from "@/features/backtests/queries";
import { urlField, urlSchema } from "@/lib/url-state";

/** `:id`: a positive integer; anything else is `null` and never reaches the API. */
export const backtestDetailParams = urlSchema({ id: urlField.id() });

export const backtestDetailKeys = {
  detail: (id: number) => [...backtestKeys.all, "detail", id] as const,
};

export function backtestQuery(id: number) {
  return queryOptions({
    queryKey: backtestDetailKeys.detail(id),
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
