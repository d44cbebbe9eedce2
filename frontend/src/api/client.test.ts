/** Contract: every failed call becomes an ApiError that says what went wrong. */
import { describe, expect, it, vi } from "vitest";

import { ApiError, api, describeErrorBody, totalCount, unwrap } from "@/api/client";
import { json, mockApi } from "@/test/api-mock";

describe("unwrap", () => {
  it("returns data and the response", async () => {
    mockApi({ "/api/v1/series": () => json([], { total: 0 }) });
    const { data, response } = await unwrap(api.GET("/api/v1/series"));
    expect(data).toEqual([]);
    expect(totalCount(response)).toBe(0);
  });
  it("carries the API's detail on 503 and 404", async () => {
    mockApi({
      "/api/v1/series": () => json({ detail: "database unavailable" }, { status: 503 }),
      "/api/v1/series/X": () => json({ detail: "unknown series ticker 'X'" }, { status: 404 }),
    });
    const down = await unwrap(api.GET("/api/v1/series")).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(ApiError);
    expect(down).toMatchObject({ status: 503, detail: "database unavailable", isUnavailable: true });
    const missing = await unwrap(
      api.GET("/api/v1/series/{ticker}", { params: { path: { ticker: "X" } } }),
    ).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, isClientError: true, isUnavailable: false });
  });
  it("turns a network failure into status 0", async () => {
    vi.stubGlobal("fetch", vi.fn(() => Promise.reject(new TypeError("Failed to fetch"))));
    const err = await unwrap(api.GET("/api/v1/series")).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, detail: "Failed to fetch", isUnavailable: true });
  });
  it("explains a proxy's empty 502", async () => {
    mockApi({ "/api/v1/series": () => new Response("", { status: 502, statusText: "Bad Gateway" }) });
    const err = await unwrap(api.GET("/api/v1/series")).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, detail: "Bad Gateway", isUnavailable: true });
  });
});

describe("describeErrorBody", () => {
  it("reads FastAPI's detail string and 422 list", () => {
    expect(describeErrorBody({ detail: "nope" })).toBe("nope");
    expect(
      describeErrorBody({ detail: [{ msg: "end must be after start" }, { msg: "bad limit" }] }),
    ).toBe("end must be after start; bad limit");
    expect(describeErrorBody("  plain text ")).toBe("plain text");
    expect(describeErrorBody(null)).toBe("");
  });
});

describe("totalCount", () => {
  it("accepts only a non-negative integer", () => {
    const r = (v: string | null) =>
      new Response(null, { headers: v === null ? {} : { "X-Total-Count": v } });
    expect(totalCount(r("3899"))).toBe(3899);
    expect(totalCount(r(null))).toBeNull();
    expect(totalCount(r("-1"))).toBeNull();
    expect(totalCount(r("1.5"))).toBeNull();
    expect(totalCount(r(""))).toBeNull();
  });
});
