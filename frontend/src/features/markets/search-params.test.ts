/**
 * Contract: the markets page's URL state parses defensively (its schema cleans every bad value
 * to the default) and round-trips minimally; sorting and paging follow the table's rules.
 */
// @vitest-environment node
import { describe, expect, it } from "vitest";

import {
  DEFAULT_SEARCH,
  marketSearch,
  marketsHref,
  nextSort,
  pageCount,
  type MarketSearch,
} from "@/features/markets/search-params";
import { readUrlState, writeSearch } from "@/lib/url-state";

function parseMarketSearch(params: URLSearchParams): MarketSearch {
  return readUrlState(marketSearch, (key) => params.get(key));
}

function toSearchParams(s: MarketSearch): URLSearchParams {
  return writeSearch(marketSearch, s);
}

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
  it("trims text filters and drops ones the API would refuse", () => {
    const s = parseMarketSearch(
      new URLSearchParams(`search=%20fed%20&series=${"K".repeat(201)}&event=A%00B`),
    );
    expect(s).toEqual({ ...DEFAULT_SEARCH, search: "fed" });
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

it("marketsHref links to a filtered list, defaults left out", () => {
  expect(marketsHref()).toBe("/markets");
  expect(marketsHref({ event: "KXFED-26DEC" })).toBe("/markets?event=KXFED-26DEC");
  expect(marketsHref({ ...DEFAULT_SEARCH, status: "active", page: 2 })).toBe("/markets?status=active&page=2");
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
