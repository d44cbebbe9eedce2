/**
 * The markets page's state lives in the URL (`/markets?search=btc&status=active&page=2`), so a
 * view can be shared. These functions read it defensively (a hand-edited URL never breaks the
 * page) and write back only what differs from the defaults.
 */
import type { MarketStatus } from "@/api/client";

export const MARKET_SORTS = [
  "ticker",
  "volume",
  "volume_24h",
  "open_interest",
  "close_time",
  "updated",
] as const;
export type MarketSort = (typeof MARKET_SORTS)[number];
export type SortOrder = "asc" | "desc";

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

export interface MarketSearch {
  search: string;
  status: MarketStatus | null;
  series: string;
  event: string;
  sort: MarketSort;
  order: SortOrder;
  page: number;
}

export const DEFAULT_SEARCH: MarketSearch = {
  search: "",
  status: null,
  series: "",
  event: "",
  sort: "ticker",
  order: "asc",
  page: 1,
};

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | null {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

export function parseMarketSearch(params: URLSearchParams): MarketSearch {
  const page = Number(params.get("page") ?? "1");
  return {
    search: (params.get("search") ?? "").trim(),
    status: oneOf(params.get("status"), MARKET_STATUSES),
    series: (params.get("series") ?? "").trim(),
    event: (params.get("event") ?? "").trim(),
    sort: oneOf(params.get("sort"), MARKET_SORTS) ?? DEFAULT_SEARCH.sort,
    order: oneOf(params.get("order"), ["asc", "desc"] as const) ?? DEFAULT_SEARCH.order,
    page: Number.isSafeInteger(page) && page >= 1 ? page : 1,
  };
}

export function toSearchParams(s: MarketSearch): URLSearchParams {
  const out = new URLSearchParams();
  if (s.search) out.set("search", s.search);
  if (s.status) out.set("status", s.status);
  if (s.series) out.set("series", s.series);
  if (s.event) out.set("event", s.event);
  if (s.sort !== DEFAULT_SEARCH.sort) out.set("sort", s.sort);
  if (s.order !== DEFAULT_SEARCH.order) out.set("order", s.order);
  if (s.page !== 1) out.set("page", String(s.page));
  return out;
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
