/** Query factory of `/api/v1/ingestion/status`. */
import { queryOptions } from "@tanstack/react-query";

import { api, unwrap, type IngestionStatus } from "@/api/client";

export const INGESTION_REFRESH_MS = 5_000;

export const ingestionKeys = { status: () => ["ingestion", "status"] as const };

export function ingestionStatusQuery() {
  return queryOptions({
    queryKey: ingestionKeys.status(),
    queryFn: async ({ signal }): Promise<IngestionStatus> =>
      (await unwrap(api.GET("/api/v1/ingestion/status", { signal }))).data,
    refetchInterval: INGESTION_REFRESH_MS,
  });
}
