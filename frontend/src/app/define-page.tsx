/**
 * What an entry of the route list is, and how it becomes a route: `definePage` binds a lazily
 * loaded page module to its URL schemas, so the page receives its search and path parameters
 * parsed (defaults filled in, bad values cleaned) as props, and a typed `setSearch`.
 */
import type { LucideIcon } from "lucide-react";
import type { ComponentType, ReactElement } from "react";

import { PageRoute } from "@/app/page-route";
import { noUrlState, type NoUrlState, type UrlSchema, type UrlState } from "@/lib/url-state";

export interface SetSearchOptions {
  /** Replace the current history entry instead of pushing one (filters typed as you go). */
  replace?: boolean;
}

/** The props every page component gets from its route. */
export interface PageProps<S extends UrlSchema = NoUrlState, P extends UrlSchema = NoUrlState> {
  /** Search parameters, parsed by the page's `search` schema. */
  search: UrlState<S>;
  /** Path parameters (`:ticker`), parsed by the page's `params` schema. */
  params: UrlState<P>;
  /** Puts `next` in the URL, writing only what differs from the defaults. */
  setSearch: (next: UrlState<S>, options?: SetSearchOptions) => void;
}

export interface NavEntry {
  label: string;
  icon: LucideIcon;
}

export interface PageDefinition<S extends UrlSchema, P extends UrlSchema> {
  /** React Router path, relative to the root: `"markets"`, `"markets/:ticker"`. */
  path: string;
  /** One line for frontend/README.md's page table (generated from this list). */
  about: string;
  /** The page module; its default export is the page component. Loaded on first visit. */
  load: () => Promise<{ default: ComponentType<PageProps<NoInfer<S>, NoInfer<P>>> }>;
  /** Schema of the search parameters; none: the page has no search state. */
  search?: S;
  /** Schema of the path parameters named in `path`. */
  params?: P;
  /** Listed in the header menu, in route-list order, when set. */
  nav?: NavEntry;
}

/** A route-list entry with its types erased, ready for the router and the menu. */
export interface Page {
  path: string;
  about: string;
  search: UrlSchema;
  params: UrlSchema;
  nav: NavEntry | undefined;
  /** Starts loading the page module (the menu calls it on hover); idempotent. */
  preload: () => void;
  /** React Router's `lazy`: the module, bound to its URL state. */
  lazy: () => Promise<{ element: ReactElement }>;
}

/** A page component with its types erased (the route list checked them). */
export type AnyPageComponent = ComponentType<PageProps<UrlSchema, UrlSchema>>;

export function definePage<S extends UrlSchema = NoUrlState, P extends UrlSchema = NoUrlState>(
  definition: PageDefinition<S, P>,
): Page {
  const search: UrlSchema = definition.search ?? noUrlState;
  const params: UrlSchema = definition.params ?? noUrlState;
  let loading: Promise<AnyPageComponent> | undefined;
  const load = (): Promise<AnyPageComponent> => {
    // The page's props are typed against its own schemas above; here they are erased.
    loading ??= definition.load().then(
      (module) => module.default as unknown as AnyPageComponent,
      (error: unknown) => {
        // A chunk that failed to download (a deploy, a network blip) is fetched again next time.
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
  return {
    path: definition.path,
    about: definition.about,
    search,
    params,
    nav: definition.nav,
    preload: () => {
      // A failure here is reported by the navigation that needs the module, not by a hover.
      load().catch(() => undefined);
    },
    lazy: async () => {
      const page = await load();
      return { element: <PageRoute page={page} search={search} params={params} /> };
    },
  };
}
