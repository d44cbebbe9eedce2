/**
 * The URL map, built from the route list (`@/app/routes`): every page inside the layout, loaded
 * on first visit, `/` sent to the first page of the menu, anything else "No such page".
 */
import { createBrowserRouter, Navigate, type RouteObject } from "react-router";

import { Layout } from "@/app/layout";
import { NotFound } from "@/app/not-found";
import { PageSkeleton } from "@/app/page-skeleton";
import { pages } from "@/app/routes";

const home = pages.find((page) => page.nav !== undefined) ?? pages[0];

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    // Shown while the first page's lazy module loads.
    hydrateFallbackElement: <PageSkeleton />,
    children: [
      ...(home ? [{ index: true, element: <Navigate to={`/${home.path}`} replace /> }] : []),
      ...pages.map((page): RouteObject => ({ path: page.path, lazy: page.lazy })),
      { path: "*", element: <NotFound /> },
    ],
  },
];

export function makeRouter() {
  return createBrowserRouter(routes);
}
