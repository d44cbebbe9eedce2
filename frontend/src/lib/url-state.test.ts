/**
 * Contract: URL state parses with a fallback per field (a hand-edited URL never throws and never
 * reaches the API out of its limits), and is written back minimally, in the schema's order, so
 * that parsing what was written gives the same state.
 */
// @vitest-environment node
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";

import {
  TEXT_MAX_LENGTH,
  readUrlState,
  searchHref,
  urlDefaults,
  urlField,
  urlSchema,
  writeSearch,
} from "@/lib/url-state";

const schema = urlSchema({
  q: urlField.text(),
  kind: urlField.oneOf(["a", "b", "c"] as const, "b"),
  only: urlField.optionalOneOf(["x", "y"] as const),
  page: urlField.page(),
  id: urlField.id(),
});

const parse = (query: string) => {
  const params = new URLSearchParams(query);
  return readUrlState(schema, (key) => params.get(key));
};

describe("readUrlState", () => {
  it("reads every field", () => {
    expect(parse("q=fed&kind=c&only=y&page=12&id=7")).toEqual({
      q: "fed",
      kind: "c",
      only: "y",
      page: 12,
      id: 7,
    });
  });

  it("gives each field its fallback when missing", () => {
    expect(parse("")).toEqual({ q: "", kind: "b", only: null, page: 1, id: null });
    expect(parse("")).toEqual(urlDefaults(schema));
  });

  it("cleans each bad value to its fallback without touching the good ones", () => {
    expect(parse("q=%20btc%20&kind=z&only=X&page=0&id=7")).toEqual({
      q: "btc",
      kind: "b",
      only: null,
      page: 1,
      id: 7,
    });
  });

  it("accepts integers only in plain positive digits", () => {
    for (const bad of ["-2", "0", "1.5", "abc", "1e3", "0x10", " 2", "", "007", "9007199254740993"]) {
      expect(parse(`page=${encodeURIComponent(bad)}`).page, bad).toBe(1);
      expect(parse(`id=${encodeURIComponent(bad)}`).id, bad).toBeNull();
    }
    expect(parse("page=9007199254740991").page).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("drops text the API would refuse (too long, control characters)", () => {
    expect(parse(`q=${"x".repeat(TEXT_MAX_LENGTH)}`).q).toHaveLength(TEXT_MAX_LENGTH);
    expect(parse(`q=${"x".repeat(TEXT_MAX_LENGTH + 1)}`).q).toBe("");
    expect(parse("q=a%00b").q).toBe("");
    expect(parse("q=a%0Ab").q).toBe("");
    expect(parse("q=a%7Fb").q).toBe("");
    expect(parse("q=caf%C3%A9%20%E2%82%AC").q).toBe("café €");
  });

  it("reads the first of repeated keys and ignores unknown ones", () => {
    expect(parse("kind=a&kind=c&utm_source=x")).toEqual({ ...urlDefaults(schema), kind: "a" });
  });

  it("reads path parameters the same way", () => {
    const params: Record<string, string | undefined> = { id: "abc" };
    expect(readUrlState(urlSchema({ id: urlField.id() }), (key) => params[key])).toEqual({ id: null });
  });
});

describe("writeSearch", () => {
  it("writes nothing for the defaults", () => {
    expect(writeSearch(schema, urlDefaults(schema)).toString()).toBe("");
  });

  it("writes only what differs from the defaults, in the schema's order", () => {
    const state = { ...urlDefaults(schema), id: 3, q: "fed rate", kind: "a" as const };
    expect(writeSearch(schema, state).toString()).toBe("q=fed+rate&kind=a&id=3");
  });

  it("round-trips through the parser", () => {
    const state = { q: "a&b=c", kind: "c" as const, only: "x" as const, page: 4, id: 12 };
    expect(parse(writeSearch(schema, state).toString())).toEqual(state);
  });
});

it("a field's own zod schema works when it ends in a fallback", () => {
  const custom = urlSchema({ side: z.catch(z.enum(["yes", "no"]), "yes") });
  expect(readUrlState(custom, () => "no")).toEqual({ side: "no" });
  expect(readUrlState(custom, () => "maybe")).toEqual({ side: "yes" });
});

it("searchHref leaves off an empty query", () => {
  expect(searchHref("/x", schema, urlDefaults(schema))).toBe("/x");
  expect(searchHref("/x", schema, { ...urlDefaults(schema), page: 2 })).toBe("/x?page=2");
});
