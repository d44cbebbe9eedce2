/**
 * Contract: the markets page renders the API's page of markets (prices in cents, the total from
 * X-Total-Count, a Next link that keeps the URL minimal), sends the URL's filters to the API
 * (cleaned of bad values), and has its own empty state and error states (with a working Retry).
 */
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { MARKETS } from "../../../e2e/stub-api.mjs";
import { json, mockApi, type Handler } from "@/test/api-mock";
import { renderRoute } from "@/test/render";

function stub(markets: Handler) {
  return mockApi({ "/api/v1/series": () => json([], { total: 0 }), "/api/v1/markets": markets });
}

describe("markets page", () => {
  it("renders one row per market with prices in cents", async () => {
    stub(() => json(MARKETS, { total: 1234 }));
    renderRoute("/markets");
    const table = await screen.findByTestId("markets-table");
    expect(within(table).getAllByTestId("market-row")).toHaveLength(MARKETS.length);
    const row = within(table).getByText("KXHIGHNY-26NOV27-B45.5").closest("tr");
    expect(row).not.toBeNull();
    expect(row?.textContent).toContain("45.5¢");
    expect(screen.getByTestId("markets-count").textContent).toContain("of 1,234 markets");
    expect(screen.getByRole("link", { name: "Next page" })).toHaveAttribute("href", "/markets?page=2");
  });

  it("sends the URL's filters and cleans the bad ones to their defaults", async () => {
    const { calls } = stub(() => json(MARKETS, { total: 1234 }));
    const { router } = renderRoute(
      "/markets?search=%20btc%20&status=bogus&sort=volume&order=sideways&page=-3&utm=x",
    );
    await screen.findByTestId("markets-table");
    const asked = calls.find((u) => u.pathname === "/api/v1/markets");
    expect(Object.fromEntries(asked?.searchParams ?? [])).toEqual({
      search: "btc",
      sort: "volume",
      order: "asc",
      limit: "50",
      offset: "0",
    });
    expect(screen.getByLabelText("Status")).toHaveValue("");
    expect(screen.getByRole("link", { name: "Next page" })).toHaveAttribute(
      "href",
      "/markets?search=btc&sort=volume&page=2",
    );
    // The address bar shows the clean URL, replacing the hand-edited one in the history.
    await waitFor(() => {
      expect(router.state.location.search).toBe("?search=btc&sort=volume");
    });
    expect(router.state.historyAction).toBe("REPLACE");
  });

  it("says so when nothing matches the filters", async () => {
    stub(() => json([], { total: 0 }));
    renderRoute("/markets?search=nothing");
    expect(await screen.findByText("No markets match these filters")).toBeInTheDocument();
  });

  it("shows the API error and recovers on Retry", async () => {
    let up = false;
    stub(() =>
      up ? json(MARKETS, { total: MARKETS.length }) : json({ detail: "database unavailable" }, { status: 503 }),
    );
    renderRoute("/markets");
    const alert = await screen.findByTestId("error-state");
    expect(alert.textContent).toContain("The workbench API is unavailable");
    expect(alert.textContent).toContain("database unavailable");
    expect(alert.textContent).toContain("Retrying by itself every 10 s");
    up = true;
    await userEvent.click(within(alert).getByRole("button", { name: /retry/i }));
    expect(await screen.findByTestId("markets-table")).toBeInTheDocument();
  });

  it("says the API is unreachable when fetch fails", async () => {
    stub(() => {
      throw new TypeError("Failed to fetch");
    });
    renderRoute("/markets");
    expect((await screen.findByTestId("error-state")).textContent).toContain(
      "Cannot reach the workbench API",
    );
  });
});
