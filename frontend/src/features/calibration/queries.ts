/**
 * The calibration page: its URL state (`/calibration?id=N`) and the query factories of the
 * stored analyses (the selector) and of one analysis with its bands.
 */
import { queryOptions } from "@tanstack/react-query";

import { api, totalCount, unwrap, type Schemas } from "@/api/client";
import { urlField, urlSchema } from "@/lib/url-state";

export type CalibrationSummary = Schemas["CalibrationSummaryOut"];
export type Calibration = Schemas["CalibrationOut"];
export type CalibrationBand = Schemas["CalibrationBandOut"];

/** Analyses offered in the selector: one per series and parameter set, newest first. */
export const CALIBRATION_LIST_LIMIT = 500;

/** `?id=`: the analysis shown; none (or not a positive integer): the newest. */
export const calibrationSearch = urlSchema({ id: urlField.id() });

export interface CalibrationList {
  items: CalibrationSummary[];
  total: number;
}

export const calibrationKeys = {
  all: ["calibration"] as const,
  list: () => [...calibrationKeys.all, "list"] as const,
  detail: (id: number) => [...calibrationKeys.all, "detail", id] as const,
};

export function calibrationListQuery() {
  return queryOptions({
    queryKey: calibrationKeys.list(),
    queryFn: async ({ signal }): Promise<CalibrationList> => {
      const { data, response } = await unwrap(
        api.GET("/api/v1/calibration", {
          params: { query: { limit: CALIBRATION_LIST_LIMIT } },
          signal,
        }),
      );
      return { items: data, total: totalCount(response) ?? data.length };
    },
    refetchInterval: 60_000,
  });
}

export function calibrationQuery(id: number) {
  return queryOptions({
    queryKey: calibrationKeys.detail(id),
    queryFn: async ({ signal }): Promise<Calibration> =>
      (
        await unwrap(
          api.GET("/api/v1/calibration/{calibration_id}", {
            params: { path: { calibration_id: id } },
            signal,
          }),
        )
      ).data,
    // Re-materializing an analysis replaces it under the same id, so it is not immutable.
    staleTime: 60_000,
  });
}
