/**
 * Contract: a backtest run's page shows its metrics, trades and parameters, and refuses an id
 * that is not a positive integer without asking the API.
 */
import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { BACKTEST_DETAIL } from "../../../e2e/stub-api.mjs";
import { json, mockApi } from "@/test/api-mock";
import { renderRoute } from "@/test/render";

describe("backtest page", () => {
  it("shows a run's metrics, trades and params", async () => {
    mockApi({ "/api/v1/backtests/7": () => json(BACKTEST_DETAIL) });
    renderRoute("/backtests/7");
    const metrics = await screen.findByTestId("metrics");
    expect(metrics.textContent).toContain("+$12.34");
    expect(screen.getByTestId("trades-table").querySelectorAll("tbody tr")).toHaveLength(3);
    expect(screen.getByTestId("params")).toBeInTheDocument();
  });

  it.each(["abc", "0", "-1", "1.5"])("rejects the id %s without asking the API", async (id) => {
    const { calls } = mockApi({});
    renderRoute(`/backtests/${id}`);
    expect(await screen.findByText("Not a backtest id")).toBeInTheDocument();
    expect(calls.some((u) => u.pathname.startsWith("/api/v1/backtests"))).toBe(false);
  });
});
