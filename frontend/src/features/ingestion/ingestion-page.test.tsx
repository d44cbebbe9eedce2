/**
 * Contract: the ingestion page colours each tier by the API's status and tells "not running"
 * (nothing polled: the workbench was or is stopped) apart from "failing" (a running poller loses
 * its ticks), in words and colour, for a tier's badge and for each gap; a restart after hours
 * off reads healthy, with its gap listed as not running.
 */
import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { buildIngestion } from "../../../e2e/stub-api.mjs";
import type { IngestionStatus, Schemas, TierStatus } from "@/api/client";
import { json, mockApi } from "@/test/api-mock";
import { renderRoute } from "@/test/render";

const NOW = Date.parse("2026-11-27T12:00:00Z");
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;

function coverage(
  ok: number,
  expected: number,
  lost: { failed?: number; errors?: number; notRunning?: number },
  gaps: Schemas["GapOut"][],
): Schemas["CoverageOut"] {
  const failed = lost.failed ?? 0;
  const errors = lost.errors ?? 0;
  return {
    start: iso(HOUR),
    end: iso(0),
    expected,
    ok,
    missed: expected - ok - errors,
    errors,
    ratio: ok / expected,
    failed,
    not_running: lost.notRunning ?? 0,
    pending: 0,
    running_ratio: ok + failed > 0 ? ok / (ok + failed) : 1,
    gaps,
  };
}

function tier(
  name: TierStatus["tier"],
  status: TierStatus["status"],
  reasons: string[],
  hour: Schemas["CoverageOut"],
): TierStatus {
  return {
    tier: name,
    enabled: true,
    status,
    reasons,
    interval_s: 5,
    stale_after_s: 60,
    last_tick: null,
    last_ok_tick: iso(5_000),
    last_live_tick: iso(5_000),
    last_hour: hour,
    today: hour,
    recent_errors: [],
  };
}

function render(tiers: TierStatus[]) {
  const body: IngestionStatus = { generated_at: iso(0), tiers };
  mockApi({ "/api/v1/ingestion/status": () => json(body) });
  renderRoute("/ingestion");
}

function badge(card: HTMLElement): HTMLElement {
  const el = card.querySelector<HTMLElement>("[data-level]");
  expect(el).not.toBeNull();
  return el as HTMLElement;
}

describe("ingestion page", () => {
  it("colours each ingestion tier", async () => {
    mockApi({ "/api/v1/ingestion/status": () => json(buildIngestion()) });
    renderRoute("/ingestion");
    const watch = await screen.findByTestId("tier-watchlist");
    expect(watch.querySelector("[data-level]")?.getAttribute("data-level")).toBe("ok");
    const cat = screen.getByTestId("tier-catalogue");
    expect(cat.querySelector("[data-level]")?.getAttribute("data-level")).toBe("warn");
  });

  it("shows a restart after hours off as healthy, with the gap as not running", async () => {
    // 50 minutes of the last hour were lost while the workbench was off: not a failure.
    const hour = coverage(120, 720, { notRunning: 600 }, [
      { start: iso(HOUR), end: iso(10 * MIN + 5_000), kind: "not_running" },
    ]);
    render([tier("watchlist", "ok", ["not running for 3 h 10 min today (ingestion was stopped)"], hour)]);
    const card = await screen.findByTestId("tier-watchlist");
    expect(badge(card).textContent).toBe("healthy");
    expect(badge(card)).toHaveAttribute("data-level", "ok");
    expect(badge(card).className).toContain("text-status-ok");
    expect(card.textContent).not.toMatch(/failing/);
    const [gap] = within(card).getAllByRole("listitem");
    expect(gap).toHaveAttribute("data-gap-kind", "not_running");
    expect(gap?.textContent).toContain("not running");
    expect(gap?.querySelector(".bg-status-idle")).not.toBeNull();
    expect(card.textContent).toContain("not running for 3 h 10 min today");
    expect(card.textContent).toContain("600 not running");
    // the headline is the poller's record while it ran, not the hours it was off
    const [headline] = within(card).getAllByTestId("running-ratio");
    expect(headline?.textContent).toMatch(/^100(\.0)?% ok while running$/);
    expect(card.textContent).toContain("of every tick of the period");
  });

  it("words and colours not running apart from failing", async () => {
    const erroring = coverage(680, 720, { failed: 40, errors: 40 }, [
      { start: iso(2 * MIN), end: iso(5_000), kind: "failed" },
    ]);
    const stopped = coverage(0, 720, { notRunning: 720 }, [
      { start: iso(HOUR), end: iso(20_000), kind: "not_running" },
    ]);
    render([
      tier("watchlist", "failing", ["failing: every tick for 2 min failed"], erroring),
      tier("catalogue", "not_running", ["not running: nothing polled for 2 h"], stopped),
    ]);
    const watch = await screen.findByTestId("tier-watchlist");
    expect(badge(watch).textContent).toBe("failing");
    expect(badge(watch)).toHaveAttribute("data-level", "bad");
    expect(badge(watch).className).toContain("text-status-bad");
    const failedGap = within(watch).getAllByRole("listitem")[0];
    expect(failedGap).toHaveAttribute("data-gap-kind", "failed");
    expect(failedGap?.textContent).toContain("failed");
    expect(failedGap?.querySelector(".bg-status-bad")).not.toBeNull();

    const cat = screen.getByTestId("tier-catalogue");
    expect(badge(cat).textContent).toBe("not running");
    expect(badge(cat)).toHaveAttribute("data-level", "idle");
    expect(badge(cat)).toHaveAttribute("data-status", "not_running");
    expect(badge(cat).className).toContain("text-status-idle");
    expect(badge(cat).className).not.toMatch(/status-(bad|warn)/);
    expect(cat.textContent).toContain("nothing polled for 2 h");
  });
});
