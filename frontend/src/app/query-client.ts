/** The QueryClient's defaults: no retry of a request the API rejected, short backoff otherwise. */
import { QueryClient } from "@tanstack/react-query";

import { ApiError } from "@/api/client";

export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.isClientError) return false;
  return failureCount < 2;
}

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: shouldRetry,
        retryDelay: (attempt) => Math.min(500 * 2 ** attempt, 4000),
        staleTime: 2_000,
        refetchOnWindowFocus: true,
      },
    },
  });
}
