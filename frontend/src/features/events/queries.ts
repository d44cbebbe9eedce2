/**
 * The events page: its URL state (`/events?series=KXBTC&page=2`) and the query factory of a page
 * of events, by ticker.
 */
import { queryOptions } from "@tanstack/react-query";

import { api, totalCount, unwrap, type Schemas } from "@/api/client";
import { urlField, urlSchema, type UrlState } from "@/lib/url-state";

export type KalshiEvent = Schemas["EventOut"];

export const EVENTS_PAGE_SIZE = 100;

/** `?series=` (none: every series) and `?page=`. */
export const eventsSearch = urlSchema({ series: urlField.text(), page: urlField.page() });
export type EventsSearch = UrlState<typeof eventsSearch>;

export interface EventPage {
  items: KalshiEvent[];
  total: number;
}

export const eventKeys = {
  all: ["events"] as const,
  list: (s: EventsSearch) => [...eventKeys.all, "list", s] as const,
};

export function eventListQuery(s: EventsSearch) {
  const offset = (s.page - 1) * EVENTS_PAGE_SIZE;
  return queryOptions({
    queryKey: eventKeys.list(s),
    queryFn: async ({ signal }): Promise<EventPage> => {
      const { data, response } = await unwrap(
        api.GET("/api/v1/events", {
          params: { query: { series: s.series || undefined, limit: EVENTS_PAGE_SIZE, offset } },
          signal,
        }),
      );
      return { items: data, total: totalCount(response) ?? offset + data.length };
    },
    // The catalogue tier refreshes events every few minutes.
    refetchInterval: 60_000,
  });
}
