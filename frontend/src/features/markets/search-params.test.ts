/** Contract: the markets page's URL state parses defensively and round-trips minimally. */
// @vitest-environment node
import { describe, expect, it } from "vitest";

import {
  DEFAULT_SEARCH,
  nextSort,
  pageCount,
  parseMarketSearch,
  toSearchParams,
} from "@/features/markets/search-params";

describe("parseMarketSearch", () => {
  it("reads every field", () => {
    const s = parseMarketSearch(
      new URLSearchParams(
        "search=btc&status=closed&series=KXBTC&event=KXBTC-26NOV27&sort=volume_24h&order=desc&page=3",
      ),
    );
    expect(s).toEqual({
      search: "btc",
      status: "closed",
      series: "KXBTC",
      event: "KXBTC-26NOV27",
      sort: "volume_24h",
      order: "desc",
      page: 3,
    });
  });
  it("falls back to defaults on hand-edited nonsense", () => {
    const s = parseMarketSearch(new URLSearchParams("status=open&sort=price&order=up&page=-2"));
    expect(s).toEqual(DEFAULT_SEARCH);
    expect(parseMarketSearch(new URLSearchParams("page=1.5")).page).toBe(1);
    expect(parseMarketSearch(new URLSearchParams("page=abc")).page).toBe(1);
  });
});

describe("toSearchParams", () => {
  it("writes only what differs from the defaults", () => {
    expect(toSearchParams(DEFAULT_SEARCH).toString()).toBe("");
    expect(toSearchParams({ ...DEFAULT_SEARCH, search: "fed rate", page: 2 }).toString()).toBe(
      "search=fed+rate&page=2",
    );
  });
  it("round-trips", () => {
    const s = { ...DEFAULT_SEARCH, status: "active" as const, sort: "updated" as const, order: "desc" as const };
    expect(parseMarketSearch(toSearchParams(s))).toEqual(s);
  });
});

describe("nextSort", () => {
  it("flips the current column and resets to page 1", () => {
    const s = { ...DEFAULT_SEARCH, page: 4 };
    expect(nextSort(s, "ticker")).toMatchObject({ sort: "ticker", order: "desc", page: 1 });
  });
  it("starts size columns descending and time columns ascending", () => {
    expect(nextSort(DEFAULT_SEARCH, "volume_24h")).toMatchObject({ sort: "volume_24h", order: "desc" });
    expect(nextSort(DEFAULT_SEARCH, "close_time")).toMatchObject({ sort: "close_time", order: "asc" });
  });
});

it("pageCount never reports zero pages", () => {
  expect(pageCount(0)).toBe(1);
  expect(pageCount(50)).toBe(1);
  expect(pageCount(51)).toBe(2);
});
