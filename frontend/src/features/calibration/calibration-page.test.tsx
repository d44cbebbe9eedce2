/**
 * Contract: the calibration page shows the newest stored analysis by default (or `?id=N`): its
 * Brier score, one table row per price band (observations, contracts, mean price, YES win rate,
 * return after fees) and the reliability diagram with one point per band that has
 * observations plus the diagonal; the selector switches analyses through the URL; no analyses
 * and an unknown id have their own states.
 */
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { CALIBRATIONS, CALIBRATION_DETAILS } from "../../../e2e/stub-api.mjs";
import type { Calibration } from "@/features/calibration/queries";
import { json, mockApi, type Handler } from "@/test/api-mock";
import { renderRoute } from "@/test/render";

const health = {
  status: "ok",
  database: "ok",
  detail: null,
  checked_at: "2026-12-08T00:00:00Z",
  ingestion: [],
};

function stub(extra: Record<string, Handler> = {}) {
  return mockApi({
    "/health": () => json(health),
    "/api/v1/calibration": () => json(CALIBRATIONS, { total: CALIBRATIONS.length }),
    "/api/v1/calibration/\\d+": (url) => {
      const id = Number(url.pathname.split("/").pop());
      const detail = CALIBRATION_DETAILS[id];
      return detail ? json(detail) : json({ detail: `unknown calibration id ${String(id)}` }, { status: 404 });
    },
    ...extra,
  });
}

function row(label: string): HTMLElement {
  const cell = within(screen.getByTestId("bands-table")).getByText(label);
  const tr = cell.closest("tr");
  if (!tr) throw new Error(`no row for ${label}`);
  return tr;
}

function points(): number {
  return screen.getByTestId("reliability-chart").querySelectorAll(".recharts-scatter-symbol").length;
}

describe("calibration page", () => {
  it("shows the newest analysis: Brier score, bands and the reliability diagram", async () => {
    const { calls } = stub();
    renderRoute("/calibration");
    await screen.findByTestId("bands-table");
    expect(calls.some((u) => u.pathname === "/api/v1/calibration/3")).toBe(true);

    const metrics = screen.getByTestId("calibration-metrics");
    expect(metrics.textContent).toContain("0.1062");
    expect(metrics.textContent).toContain("27,529");
    expect(screen.getAllByTestId("band-row")).toHaveLength(10);
    const cells = [...row("[50¢, 65¢)").querySelectorAll("td")].map((td) => td.textContent);
    expect(cells).toEqual(["[50¢, 65¢)", "4,685", "704,471", "57.1¢", "62.9%", "+6.7%", "$12,009.76"]);
    expect(row("[95¢, 100¢]").textContent).toContain("97.9¢");
    expect(row("[10¢, 20¢)").textContent).toContain("-93.3%");

    await waitFor(() => {
      expect(points()).toBe(10);
    });
    // the diagonal rises from (0, 0) to (1, 1): left-bottom to right-top in pixels
    const line = screen.getByTestId("reliability-chart").querySelector(".recharts-reference-line line");
    expect(line).not.toBeNull();
    const at = (name: string): number => Number(line?.getAttribute(name));
    expect(at("x2")).toBeGreaterThan(at("x1"));
    expect(at("y1")).toBeGreaterThan(at("y2"));
    expect(screen.getByTestId("analysis-select")).toHaveValue("3");
  });

  it("switches analyses with the selector", async () => {
    const { calls } = stub();
    const { router } = renderRoute("/calibration");
    await screen.findByTestId("bands-table");
    await userEvent.selectOptions(screen.getByTestId("analysis-select"), "2");
    await waitFor(() => {
      expect(router.state.location.search).toBe("?id=2");
    });
    await waitFor(() => {
      expect(screen.getByTestId("calibration-metrics").textContent).toContain("0.1709");
    });
    expect(calls.some((u) => u.pathname === "/api/v1/calibration/2")).toBe(true);
    expect(screen.getByTestId("calibration-analysis").textContent).toContain("KXBTCD");
  });

  it("draws a point only for bands with observations", async () => {
    const base = CALIBRATION_DETAILS[2] as Calibration;
    const sparse: Calibration = {
      ...base,
      bands: base.bands.map((b, i) =>
        i % 2 === 0
          ? { ...b, observations: 0, contracts: 0, mean_price: null, win_rate: null, return_after_fees: null, fees: 0 }
          : b,
      ),
    };
    stub({ "/api/v1/calibration/\\d+": () => json(sparse) });
    renderRoute("/calibration?id=2");
    await screen.findByTestId("bands-table");
    await waitFor(() => {
      expect(points()).toBe(5);
    });
    const empty = [...row("[0¢, 5¢)").querySelectorAll("td")].map((td) => td.textContent);
    expect(empty).toEqual(["[0¢, 5¢)", "0", "0", "—", "—", "—", "$0.00"]);
  });

  it("says what an unknown id is", async () => {
    stub();
    renderRoute("/calibration?id=999");
    const alert = await screen.findByTestId("error-state");
    expect(alert.textContent).toContain("unknown calibration id 999");
    expect(screen.getByTestId("analysis-select")).toHaveValue("999");
  });

  it("explains how to get an analysis when none is stored", async () => {
    stub({ "/api/v1/calibration": () => json([], { total: 0 }) });
    renderRoute("/calibration");
    expect(await screen.findByText("No calibration analyses yet")).toBeInTheDocument();
  });
});
