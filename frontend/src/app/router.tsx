/**
 * The URL map. Every page is a thin route module under src/features/<feature>/, loaded on
 * first visit so the markets list does not wait for the chart library.
 */
import { createBrowserRouter, Navigate, type RouteObject } from "react-router";

import { Layout } from "@/app/layout";
import { NotFound } from "@/app/not-found";
import { PageSkeleton } from "@/app/page-skeleton";
import MarketsRoute from "@/features/markets/route";

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    // Shown while the first page's lazy module loads.
    hydrateFallbackElement: <PageSkeleton />,
    children: [
      { index: true, element: <Navigate to="/markets" replace /> },
      { path: "markets", element: <MarketsRoute /> },
      {
        path: "markets/:ticker",
        lazy: async () => ({ Component: (await import("@/features/market-detail/route")).default }),
      },
      {
        path: "backtests",
        lazy: async () => ({ Component: (await import("@/features/backtests/list-route")).default }),
      },
      {
        path: "backtests/:id",
        lazy: async () => ({ Component: (await import("@/features/backtests/detail-route")).default }),
      },
      {
        path: "calibration",
        lazy: async () => ({ Component: (await import("@/features/calibration/route")).default }),
      },
      {
        path: "ingestion",
        lazy: async () => ({ Component: (await import("@/features/ingestion/route")).default }),
      },
      { path: "*", element: <NotFound /> },
    ],
  },
];

export function makeRouter() {
  return createBrowserRouter(routes);
}
