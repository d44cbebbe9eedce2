/** The URL map; every page is a thin route module under src/features/<feature>/. */
import { createBrowserRouter, Navigate } from "react-router";

import { Layout } from "@/app/layout";
import { NotFound } from "@/app/not-found";
import BacktestRoute from "@/features/backtests/detail-route";
import BacktestsRoute from "@/features/backtests/list-route";
import IngestionRoute from "@/features/ingestion/route";
import MarketRoute from "@/features/market-detail/route";
import MarketsRoute from "@/features/markets/route";

export const routes = [
  {
    element: <Layout />,
    children: [
      { index: true, element: <Navigate to="/markets" replace /> },
      { path: "markets", element: <MarketsRoute /> },
      { path: "markets/:ticker", element: <MarketRoute /> },
      { path: "backtests", element: <BacktestsRoute /> },
      { path: "backtests/:id", element: <BacktestRoute /> },
      { path: "ingestion", element: <IngestionRoute /> },
      { path: "*", element: <NotFound /> },
    ],
  },
];

export function makeRouter() {
  return createBrowserRouter(routes);
}
