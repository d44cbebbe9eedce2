/**
 * Contract: the browser test's stub API answers in the real API's shapes (the generated
 * OpenAPI schema), with the same X-Total-Count and filter semantics the SPA relies on.
 * When the API's schema changes, scripts/gen-api-client.sh updates openapi.json and this test
 * says which fixture must follow.
 */
// @vitest-environment node
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createStubServer } from "../../e2e/stub-api.mjs";
import { shapeErrors } from "@/test/openapi-shape";

const { server, state } = createStubServer();
let base = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => {
    server.listen(0, "127.0.0.1", resolve);
  });
  base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function get(path: string): Promise<{ status: number; body: unknown; total: string | null }> {
  const r = await fetch(base + path);
  return { status: r.status, body: await r.json(), total: r.headers.get("X-Total-Count") };
}

describe("stub responses match the OpenAPI schemas", () => {
  const cases: [string, string, boolean][] = [
    ["/api/v1/markets", "MarketOut", true],
    ["/api/v1/markets/KXHIGHNY-26NOV27-B45.5", "MarketOut", false],
    ["/api/v1/markets/KXBNB-26NOV28-B575/history?limit=50", "HistoryPointOut", true],
    ["/api/v1/series", "SeriesOut", true],
    ["/api/v1/backtests", "BacktestSummaryOut", true],
    ["/api/v1/backtests/7", "BacktestOut", false],
    ["/api/v1/calibration", "CalibrationSummaryOut", true],
    ["/api/v1/calibration/3", "CalibrationOut", false],
    ["/api/v1/calibration/2", "CalibrationOut", false],
    ["/api/v1/ingestion/status", "IngestionStatusOut", false],
    ["/health", "HealthOut", false],
    ["/api/v1/markets/NOPE", "ErrorOut", false],
  ];
  it.each(cases)("%s is %s", async (path, schema, list) => {
    const { body } = await get(path);
    expect(shapeErrors(body, schema, list)).toEqual([]);
  });

  it("the validator does catch a drifted shape", () => {
    expect(shapeErrors({ detail: 1 }, "ErrorOut")).toEqual(["ErrorOut.detail: expected string, got integer"]);
    expect(shapeErrors({ detail: "x", extra: 1 }, "ErrorOut")).toEqual(["ErrorOut.extra: not in the schema"]);
    expect(shapeErrors({}, "ErrorOut")).toEqual(["ErrorOut.detail: required"]);
  });

  it("a failing stub answers 503 in the API's shapes", async () => {
    state.failing = true;
    try {
      const markets = await get("/api/v1/markets");
      expect(markets.status).toBe(503);
      expect(shapeErrors(markets.body, "ErrorOut")).toEqual([]);
      const health = await get("/health");
      expect(health.status).toBe(503);
      expect(shapeErrors(health.body, "HealthOut")).toEqual([]);
    } finally {
      state.failing = false;
    }
  });
});

describe("stub list semantics", () => {
  it("filters, sorts, pages and counts like the API", async () => {
    const all = await get("/api/v1/markets?limit=1000");
    const n = (all.body as unknown[]).length;
    expect(all.total).toBe(String(n));
    const page = await get("/api/v1/markets?sort=volume_24h&order=desc&limit=2&offset=1");
    expect(page.total).toBe(String(n));
    const vols = (page.body as { volume_24h: number }[]).map((m) => m.volume_24h);
    expect(vols).toHaveLength(2);
    expect(vols[0]).toBeGreaterThanOrEqual(vols[1] ?? 0);
    const btc = await get("/api/v1/markets?search=BITCOIN");
    expect(btc.total).toBe("2");
  });
});
