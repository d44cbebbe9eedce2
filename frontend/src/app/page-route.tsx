/**
 * The element of every page's route: reads the URL through the page's schemas and hands the
 * page its parsed `search` and `params` and a `setSearch` that writes only non-defaults back.
 * A hand-edited query string is replaced by its clean form (bad values and unknown keys
 * dropped, defaults left out), so what the address bar shows is what the page shows.
 */
import { useEffect } from "react";
import { useLocation, useParams, useSearchParams } from "react-router";

import type { AnyPageComponent } from "@/app/define-page";
import { readUrlState, writeSearch, type UrlSchema } from "@/lib/url-state";

export function PageRoute({
  page: PageComponent,
  search: searchSchema,
  params: paramsSchema,
}: {
  page: AnyPageComponent;
  search: UrlSchema;
  params: UrlSchema;
}) {
  const [searchParams, setSearchParams] = useSearchParams();
  const pathParams = useParams();
  const { pathname } = useLocation();
  const search = readUrlState(searchSchema, (key) => searchParams.get(key));
  const params = readUrlState(paramsSchema, (key) => pathParams[key]);
  const current = searchParams.toString();
  const clean = writeSearch(searchSchema, search).toString();
  useEffect(() => {
    // Parsing what was written gives the same state (src/app/routes.test.tsx), so one
    // replacement is enough.
    if (current !== clean) setSearchParams(new URLSearchParams(clean), { replace: true });
  }, [current, clean, setSearchParams]);
  return (
    <PageComponent
      // Another path (another ticker, another run) is another page: no state carries over.
      key={pathname}
      search={search}
      params={params}
      setSearch={(next, options) => {
        setSearchParams(writeSearch(searchSchema, next), { replace: options?.replace ?? false });
      }}
    />
  );
}

