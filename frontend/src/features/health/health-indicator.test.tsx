/**
 * Contract: the header's health light reads `/health`: green when the API and database are up
 * (a degraded tier and a tier the settings do not enable stay green), amber when a tier is
 * failing, slate when a tier is not running (stopped, not broken), red when the database is down.
 */
import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { buildIngestion } from "../../../e2e/stub-api.mjs";
import type { TierStatus } from "@/api/client";
import { HEALTHY, json, mockApi } from "@/test/api-mock";
import { renderRoute } from "@/test/render";

const NOW = Date.parse("2026-11-27T12:00:00Z");
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

describe("header health light", () => {
  function freshness(tier: "watchlist" | "catalogue", status: TierStatus["status"], enabled = true) {
    return { tier, enabled, status, reasons: [], last_ok_tick: iso(5_000), age_s: 5 };
  }

  async function light(ingestion: ReturnType<typeof freshness>[]) {
    mockApi({
      "/health": () => json({ ...HEALTHY, ingestion }),
      "/api/v1/backtests": () => json([], { total: 0 }),
    });
    renderRoute("/backtests");
    const el = await screen.findByTestId("health-indicator");
    await waitFor(() => {
      expect(el.getAttribute("data-light")).not.toBe("unknown");
    });
    return el;
  }

  it("says not running, apart from failing", async () => {
    const stopped = await light([freshness("watchlist", "not_running"), freshness("catalogue", "ok")]);
    expect(stopped).toHaveAttribute("data-light", "idle");
    expect(stopped.textContent).toContain("API ok · watchlist not running");
    expect(stopped.querySelector(".bg-status-idle")).not.toBeNull();
  });

  it("says failing in amber", async () => {
    const failing = await light([freshness("watchlist", "failing"), freshness("catalogue", "not_running")]);
    expect(failing).toHaveAttribute("data-light", "warn");
    expect(failing.textContent).toContain("API ok · watchlist failing");
  });

  it("stays green for degraded tiers and tiers the settings do not enable", async () => {
    const fine = await light([freshness("watchlist", "degraded"), freshness("catalogue", "not_running", false)]);
    expect(fine).toHaveAttribute("data-light", "ok");
    expect(fine.textContent).toContain("API ok");
  });

  it("turns red when the database is down", async () => {
    mockApi({
      "/health": () =>
        json({ ...HEALTHY, status: "unavailable", database: "unavailable", detail: "db down" }, { status: 503 }),
      "/api/v1/ingestion/status": () => json(buildIngestion()),
    });
    renderRoute("/ingestion");
    await waitFor(() => {
      expect(screen.getByTestId("health-indicator")).toHaveAttribute("data-light", "bad");
    });
    expect(screen.getByTestId("health-indicator").textContent).toContain("Database unavailable");
  });
});
