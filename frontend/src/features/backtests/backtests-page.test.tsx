/**
 * Contract: the backtests page lists the page of runs the URL names (`?page=N`, a bad one is
 * page 1), links each run, and shows an empty list as such.
 */
import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { BACKTESTS } from "../../../e2e/stub-api.mjs";
import { json, mockApi } from "@/test/api-mock";
import { renderRoute } from "@/test/render";

describe("backtests page", () => {
  it("shows an empty backtest list as such", async () => {
    mockApi({ "/api/v1/backtests": () => json([], { total: 0 }) });
    renderRoute("/backtests");
    expect(await screen.findByText("No backtests yet")).toBeInTheDocument();
  });

  it("asks for the URL's page and links the neighbours", async () => {
    const { calls } = mockApi({ "/api/v1/backtests": () => json(BACKTESTS, { total: 120 }) });
    renderRoute("/backtests?page=2");
    const table = await screen.findByTestId("backtests-table");
    expect(within(table).getAllByTestId("backtest-row")).toHaveLength(BACKTESTS.length);
    expect(calls.find((u) => u.pathname === "/api/v1/backtests")?.searchParams.get("offset")).toBe("50");
    expect(screen.getByText(/page 2 of 3/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Previous page" })).toHaveAttribute("href", "/backtests");
    expect(screen.getByRole("link", { name: "Next page" })).toHaveAttribute("href", "/backtests?page=3");
  });

  it("reads a bad page as page 1", async () => {
    const { calls } = mockApi({ "/api/v1/backtests": () => json(BACKTESTS, { total: 3 }) });
    renderRoute("/backtests?page=2.5");
    await screen.findByTestId("backtests-table");
    expect(calls.find((u) => u.pathname === "/api/v1/backtests")?.searchParams.get("offset")).toBe("0");
  });
});
