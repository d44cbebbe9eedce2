/** Query factory of `/health`: a 503 still carries a body that says what is down. */
import { queryOptions } from "@tanstack/react-query";

import { ApiError, api, describeErrorBody, type Health } from "@/api/client";

export const HEALTH_REFRESH_MS = 10_000;

export const healthKeys = { check: () => ["health"] as const };

function isHealth(body: unknown): body is Health {
  return typeof body === "object" && body !== null && "status" in body && "database" in body;
}

export function healthQuery() {
  return queryOptions({
    queryKey: healthKeys.check(),
    queryFn: async ({ signal }): Promise<Health> => {
      let result;
      try {
        result = await api.GET("/health", { signal });
      } catch (err) {
        throw new ApiError(0, err instanceof Error ? err.message : String(err));
      }
      const { data, error, response } = result;
      if (data !== undefined) return data;
      if (isHealth(error)) return error;
      throw new ApiError(response.status, describeErrorBody(error) || response.statusText);
    },
    refetchInterval: HEALTH_REFRESH_MS,
    retry: false,
  });
}
