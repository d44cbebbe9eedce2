/**
 * Contract: the one QueryClient never mixes two features' data (every queryOptions factory has
 * its own key per resource and parameter) and retries only what a retry can fix.
 */
import { describe, expect, it } from "vitest";

import { ApiError } from "@/api/client";
import { shouldRetry } from "@/app/query-client";
import { backtestQuery } from "@/features/backtest-detail/queries";
import { backtestListQuery } from "@/features/backtests/queries";
import { calibrationListQuery, calibrationQuery } from "@/features/calibration/queries";
import { eventListQuery } from "@/features/events/queries";
import { healthQuery } from "@/features/health/queries";
import { ingestionStatusQuery } from "@/features/ingestion/queries";
import { marketHistoryQuery, marketQuery } from "@/features/market-detail/queries";
import { marketListQuery, seriesListQuery } from "@/features/markets/queries";
import { DEFAULT_SEARCH } from "@/features/markets/search-params";

it("query keys are distinct per resource and parameter", () => {
  const keys = [
    marketListQuery(DEFAULT_SEARCH).queryKey,
    marketListQuery({ ...DEFAULT_SEARCH, page: 2 }).queryKey,
    seriesListQuery().queryKey,
    marketQuery("A").queryKey,
    marketQuery("B").queryKey,
    marketHistoryQuery("A", "1h").queryKey,
    marketHistoryQuery("A", "all").queryKey,
    backtestListQuery(1).queryKey,
    backtestListQuery(2).queryKey,
    backtestQuery(7).queryKey,
    calibrationListQuery().queryKey,
    calibrationQuery(3).queryKey,
    eventListQuery({ series: "", page: 1 }).queryKey,
    eventListQuery({ series: "KXBTC", page: 1 }).queryKey,
    ingestionStatusQuery().queryKey,
    healthQuery().queryKey,
  ].map((k) => JSON.stringify(k));
  expect(new Set(keys).size).toBe(keys.length);
});

describe("shouldRetry", () => {
  it("retries an outage twice", () => {
    expect(shouldRetry(0, new ApiError(503, "down"))).toBe(true);
    expect(shouldRetry(1, new ApiError(0, "unreachable"))).toBe(true);
    expect(shouldRetry(2, new ApiError(503, "down"))).toBe(false);
  });
  it("never retries a request the API rejected, except timeouts and rate limits", () => {
    expect(shouldRetry(0, new ApiError(404, "no such market"))).toBe(false);
    expect(shouldRetry(0, new ApiError(422, "bad limit"))).toBe(false);
    expect(shouldRetry(0, new ApiError(429, "slow down"))).toBe(true);
    expect(shouldRetry(0, new ApiError(408, "timeout"))).toBe(true);
  });
});
