/**
 * The markets page's state lives in the URL (`/markets?search=btc&status=active&page=2`), so a
 * view can be shared: its schema (a hand-edited URL never breaks the page, see
 * `@/lib/url-state`) and the sorting and paging rules of the table.
 */

import type { MarketStatus } from "@/api/client";
import { searchHref, urlDefaults, urlField, urlSchema, type UrlState } from "@/lib/url-state";

export const MARKET_SORTS = [
  "ticker",
  "volume",
  "volume_24h",
  "open_interest",
  "close_time",
  "updated",
] as const;
export type MarketSort = (typeof MARKET_SORTS)[number];
export const SORT_ORDERS = ["asc", "desc"] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

export const MARKET_STATUSES: readonly MarketStatus[] = [
  "active",
  "initialized",
  "inactive",
  "closed",
  "determined",
  "disputed",
  "amended",
  "finalized",
  "settled",
];

export const PAGE_SIZE = 50;

/**
 * The markets page's URL state. Unknown statuses, sorts and orders fall back to "any", ticker
 * and ascending; a page that is not a positive integer is page 1; text filters are trimmed.
 */
export const marketSearch = urlSchema({
  search: urlField.text(),
  status: urlField.optionalOneOf(MARKET_STATUSES),
  series: urlField.text(),
  event: urlField.text(),
  sort: urlField.oneOf(MARKET_SORTS, "ticker"),
  order: urlField.oneOf(SORT_ORDERS, "asc"),
  page: urlField.page(),
});

export type MarketSearch = UrlState<typeof marketSearch>;

export const DEFAULT_SEARCH: MarketSearch = urlDefaults(marketSearch);

/** A link to the markets list showing `s` (e.g. one event's markets). */
export function marketsHref(s: Partial<MarketSearch> = {}): string {
  return searchHref("/markets", marketSearch, { ...DEFAULT_SEARCH, ...s });
}

/** Clicking a column: a new column sorts in its natural direction, the same one flips. */
export function nextSort(current: MarketSearch, column: MarketSort): MarketSearch {
  if (current.sort === column) {
    return { ...current, order: current.order === "asc" ? "desc" : "asc", page: 1 };
  }
  // Bigger-is-interesting columns start descending; names and times ascending.
  const order: SortOrder =
    column === "volume" || column === "volume_24h" || column === "open_interest" || column === "updated"
      ? "desc"
      : "asc";
  return { ...current, sort: column, order, page: 1 };
}

export function pageCount(total: number, pageSize: number = PAGE_SIZE): number {
  return Math.max(1, Math.ceil(total / pageSize));
}
