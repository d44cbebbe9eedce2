/**
 * Contract: the events page lists the API's page of events for the URL's series and page (a bad
 * page is page 1), links each event to its markets and each series to its events, puts a typed
 * series in the URL, and has its own empty states.
 */
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { KalshiEvent } from "@/features/events/queries";
import { json, mockApi } from "@/test/api-mock";
import { renderRoute } from "@/test/render";

function event(event_ticker: string, series_ticker: string, title: string): KalshiEvent {
  return {
    event_ticker,
    series_ticker,
    title,
    sub_title: "On Nov 27, 2026",
    category: "Crypto",
    mutually_exclusive: true,
    strike_date: "2026-11-27T22:00:00Z",
    fee_type_override: null,
    fee_multiplier_override: null,
    updated_at: "2026-11-27T12:00:00Z",
  };
}

const EVENTS = [
  event("KXBTC-26NOV2717", "KXBTC", "Bitcoin price range on Nov 27, 2026 at 5pm EST?"),
  event("KXETH-26NOV2717", "KXETH", "Ethereum price range on Nov 27, 2026 at 5pm EST?"),
];

function stub(total = EVENTS.length) {
  return mockApi({ "/api/v1/events": () => json(EVENTS, { total }) });
}

const asked = (calls: URL[]) =>
  calls.filter((u) => u.pathname === "/api/v1/events").map((u) => Object.fromEntries(u.searchParams));

describe("events page", () => {
  it("lists events, linked to their markets and their series", async () => {
    stub();
    renderRoute("/events");
    const table = await screen.findByTestId("events-table");
    expect(within(table).getAllByTestId("event-row")).toHaveLength(2);
    expect(within(table).getByRole("link", { name: "KXBTC-26NOV2717" })).toHaveAttribute(
      "href",
      "/markets?event=KXBTC-26NOV2717",
    );
    expect(within(table).getByRole("link", { name: "KXETH" })).toHaveAttribute("href", "/events?series=KXETH");
    expect(screen.getByRole("link", { name: "Events" })).toHaveAttribute("aria-current", "page");
  });

  it("asks for the URL's series and page, and reads a bad page as page 1", async () => {
    const { calls } = stub(250);
    const { unmount } = renderRoute("/events?series=KXBTC&page=2");
    await screen.findByTestId("events-table");
    expect(asked(calls)).toEqual([{ series: "KXBTC", limit: "100", offset: "100" }]);
    expect(screen.getByText(/page 2 of 3/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Next page" })).toHaveAttribute("href", "/events?series=KXBTC&page=3");
    expect(screen.getByRole("link", { name: "Previous page" })).toHaveAttribute("href", "/events?series=KXBTC");
    unmount();

    const bad = stub();
    renderRoute("/events?page=0x2");
    await screen.findByTestId("events-table");
    expect(asked(bad.calls)).toEqual([{ limit: "100", offset: "0" }]);
  });

  it("puts a typed series in the URL and asks for it", async () => {
    const { calls } = stub();
    const { router } = renderRoute("/events?page=3");
    await screen.findByTestId("events-table");
    await userEvent.type(screen.getByLabelText("Series ticker"), "kxbtc{Enter}");
    await waitFor(() => {
      expect(router.state.location.search).toBe("?series=KXBTC");
    });
    await waitFor(() => {
      expect(asked(calls).at(-1)).toEqual({ series: "KXBTC", limit: "100", offset: "0" });
    });
  });

  it("says when a series has no events, and when none are stored", async () => {
    mockApi({ "/api/v1/events": () => json([], { total: 0 }) });
    const { unmount } = renderRoute("/events?series=NOPE");
    expect(await screen.findByText("No events of series NOPE")).toBeInTheDocument();
    unmount();
    mockApi({ "/api/v1/events": () => json([], { total: 0 }) });
    renderRoute("/events");
    expect(await screen.findByText("No events stored yet")).toBeInTheDocument();
  });
});
