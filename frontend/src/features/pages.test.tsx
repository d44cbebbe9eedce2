/**
 * Contract: the pages render API data, their empty states and their error states (with a
 * working Retry), driven through the real routes with a mocked fetch.
 */
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { BACKTEST_DETAIL, MARKETS, buildHistory, buildIngestion } from "../../e2e/stub-api.mjs";
import { json, mockApi } from "@/test/api-mock";
import { renderRoute } from "@/test/render";

const health = {
  status: "ok",
  database: "ok",
  detail: null,
  checked_at: "2026-11-27T00:00:00Z",
  ingestion: [],
};

describe("markets page", () => {
  it("renders one row per market with prices in cents", async () => {
    mockApi({
      "/health": () => json(health),
      "/api/v1/series": () => json([], { total: 0 }),
      "/api/v1/markets": () => json(MARKETS, { total: 1234 }),
    });
    renderRoute("/markets");
    const table = await screen.findByTestId("markets-table");
    expect(within(table).getAllByTestId("market-row")).toHaveLength(MARKETS.length);
    const row = within(table).getByText("KXHIGHNY-26NOV27-B45.5").closest("tr");
    expect(row).not.toBeNull();
    expect(row?.textContent).toContain("45.5¢");
    expect(screen.getByTestId("markets-count").textContent).toContain("of 1,234 markets");
    expect(screen.getByRole("link", { name: "Next page" })).toHaveAttribute("href", "/markets?page=2");
  });

  it("says so when nothing matches the filters", async () => {
    mockApi({
      "/health": () => json(health),
      "/api/v1/series": () => json([], { total: 0 }),
      "/api/v1/markets": () => json([], { total: 0 }),
    });
    renderRoute("/markets?search=nothing");
    expect(await screen.findByText("No markets match these filters")).toBeInTheDocument();
  });

  it("shows the API error and recovers on Retry", async () => {
    let up = false;
    mockApi({
      "/health": () => json(health),
      "/api/v1/series": () => json([], { total: 0 }),
      "/api/v1/markets": () =>
        up ? json(MARKETS, { total: MARKETS.length }) : json({ detail: "database unavailable" }, { status: 503 }),
    });
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
    mockApi({
      "/health": () => json(health),
      "/api/v1/series": () => json([], { total: 0 }),
      "/api/v1/markets": () => {
        throw new TypeError("Failed to fetch");
      },
    });
    renderRoute("/markets");
    expect((await screen.findByTestId("error-state")).textContent).toContain(
      "Cannot reach the workbench API",
    );
  });
});

describe("market page", () => {
  const market = MARKETS.find(
    (m) => (m as { market_ticker: string }).market_ticker === "KXNFLGAME-26NOV301200CHISF-SF",
  );

  it("shows the quote panel and the history chart", async () => {
    mockApi({
      "/health": () => json(health),
      "/api/v1/markets/[^/]+/history": () => json(buildHistory(market, Date.now(), { limit: 50 })),
      "/api/v1/markets/[^/]+": () => json(market),
    });
    renderRoute("/markets/KXNFLGAME-26NOV301200CHISF-SF");
    const quote = await screen.findByTestId("quote-panel");
    expect(quote.textContent).toContain("44¢");
    expect(quote.textContent).toContain("47¢");
    expect(quote.textContent).toContain("45.5¢");
    expect(quote.textContent).toContain("3¢");
    expect(await screen.findByTestId("price-chart")).toBeInTheDocument();
    expect(screen.getByText(/50 stored snapshots/)).toBeInTheDocument();
  });

  it("explains an unknown ticker", async () => {
    mockApi({
      "/health": () => json(health),
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
});

describe("backtests and ingestion", () => {
  it("shows a run's metrics, trades and params", async () => {
    mockApi({ "/health": () => json(health), "/api/v1/backtests/7": () => json(BACKTEST_DETAIL) });
    renderRoute("/backtests/7");
    const metrics = await screen.findByTestId("metrics");
    expect(metrics.textContent).toContain("+$12.34");
    expect(screen.getByTestId("trades-table").querySelectorAll("tbody tr")).toHaveLength(3);
  });

  it("shows an empty backtest list as such", async () => {
    mockApi({ "/health": () => json(health), "/api/v1/backtests": () => json([], { total: 0 }) });
    renderRoute("/backtests");
    expect(await screen.findByText("No backtests yet")).toBeInTheDocument();
  });

  it("rejects a non-numeric backtest id without asking the API", async () => {
    const { calls } = mockApi({ "/health": () => json(health) });
    renderRoute("/backtests/abc");
    expect(await screen.findByText("Not a backtest id")).toBeInTheDocument();
    expect(calls.some((u) => u.pathname.startsWith("/api/v1/backtests"))).toBe(false);
  });

  it("colours each ingestion tier", async () => {
    mockApi({ "/health": () => json(health), "/api/v1/ingestion/status": () => json(buildIngestion()) });
    renderRoute("/ingestion");
    const watch = await screen.findByTestId("tier-watchlist");
    expect(watch.querySelector("[data-level]")?.getAttribute("data-level")).toBe("ok");
    const cat = screen.getByTestId("tier-catalogue");
    expect(cat.querySelector("[data-level]")?.getAttribute("data-level")).toBe("warn");
  });
});

describe("health indicator", () => {
  it("turns red when the database is down", async () => {
    mockApi({
      "/health": () =>
        json({ ...health, status: "unavailable", database: "unavailable", detail: "db down" }, { status: 503 }),
      "/api/v1/ingestion/status": () => json(buildIngestion()),
    });
    renderRoute("/ingestion");
    await waitFor(() => {
      expect(screen.getByTestId("health-indicator")).toHaveAttribute("data-light", "bad");
    });
    expect(screen.getByTestId("health-indicator").textContent).toContain("Database unavailable");
  });
});
