/**
 * Contract: a market's page shows its quote panel and history chart for the URL's range
 * (24 hours unless `?range=` names another; a bad one is 24 hours), explains an unknown ticker
 * without retrying it, and never asks the API for a ticker it would refuse.
 */
import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { MARKETS, buildHistory } from "../../../e2e/stub-api.mjs";
import { json, mockApi } from "@/test/api-mock";
import { renderRoute } from "@/test/render";

const market = MARKETS.find(
  (m) => (m as { market_ticker: string }).market_ticker === "KXNFLGAME-26NOV301200CHISF-SF",
);

function stub() {
  return mockApi({
    "/api/v1/markets/[^/]+/history": () => json(buildHistory(market, Date.now(), { limit: 50 })),
    "/api/v1/markets/[^/]+": () => json(market),
  });
}

/** Hours between now and the `start` the history request asked for (null: no start). */
function historyHours(calls: URL[]): number | null {
  const url = calls.find((u) => u.pathname.endsWith("/history"));
  const start = url?.searchParams.get("start");
  return start ? Math.round((Date.now() - Date.parse(start)) / 3_600_000) : null;
}

describe("market page", () => {
  it("shows the quote panel and the history chart", async () => {
    const { calls } = stub();
    renderRoute("/markets/KXNFLGAME-26NOV301200CHISF-SF");
    const quote = await screen.findByTestId("quote-panel");
    expect(quote.textContent).toContain("44¢");
    expect(quote.textContent).toContain("47¢");
    expect(quote.textContent).toContain("45.5¢");
    expect(quote.textContent).toContain("3¢");
    expect(await screen.findByTestId("price-chart")).toBeInTheDocument();
    expect(screen.getByText(/50 stored snapshots/)).toBeInTheDocument();
    expect(historyHours(calls)).toBe(24);
    expect(screen.getByRole("tab", { name: "24h" })).toHaveAttribute("aria-selected", "true");
  });

  it("reads the range from the URL, and a bad one as 24 hours", async () => {
    const six = stub();
    const { unmount } = renderRoute("/markets/KXNFLGAME-26NOV301200CHISF-SF?range=6h");
    await screen.findByTestId("price-chart");
    expect(historyHours(six.calls)).toBe(6);
    expect(screen.getByRole("tab", { name: "6h" })).toHaveAttribute("aria-selected", "true");
    unmount();

    const bad = stub();
    renderRoute("/markets/KXNFLGAME-26NOV301200CHISF-SF?range=7d");
    await screen.findByTestId("price-chart");
    expect(historyHours(bad.calls)).toBe(24);
  });

  it("explains an unknown ticker", async () => {
    mockApi({
      "/api/v1/markets/[^/]+/history": () => json({ detail: "unknown market ticker 'NOPE'" }, { status: 404 }),
      "/api/v1/markets/[^/]+": () => json({ detail: "unknown market ticker 'NOPE'" }, { status: 404 }),
    });
    renderRoute("/markets/NOPE");
    await waitFor(() => {
      expect(screen.getAllByTestId("error-state").length).toBeGreaterThan(0);
    });
    expect(screen.getAllByText("Not found").length).toBeGreaterThan(0);
    // A 404 will not change by itself: no automatic retry is offered.
    expect(screen.queryByText(/Retrying by itself/)).toBeNull();
  });

  it("refuses a ticker the API would refuse without asking it", async () => {
    const { calls } = stub();
    renderRoute("/markets/A%01B");
    expect(await screen.findByText("Not a market ticker")).toBeInTheDocument();
    expect(calls.some((u) => u.pathname.startsWith("/api/v1/markets"))).toBe(false);
  });
});
