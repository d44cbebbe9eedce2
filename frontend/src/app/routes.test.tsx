/**
 * Contract: the route list is the only list of pages. Every entry is a working route whose URL
 * state survives any hand-edited URL; the header menu and frontend/README.md's page table are
 * built from it (`npm run gen:docs` rewrites the table; this test fails while it is stale).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { Page } from "@/app/define-page";
import { pages } from "@/app/routes";
import { readUrlState, urlDefaults, writeSearch } from "@/lib/url-state";
import { json, mockApi } from "@/test/api-mock";
import { renderRoute } from "@/test/render";

// vitest runs from frontend/ (its config's directory).
const README = resolve("README.md");
const BEGIN = "<!-- pages:begin (generated from src/app/routes.ts by `npm run gen:docs`) -->";
const END = "<!-- pages:end -->";

function pathNames(page: Page): string[] {
  return page.path
    .split("/")
    .filter((segment) => segment.startsWith(":"))
    .map((segment) => segment.slice(1));
}

/** The README's table of pages: URL (path and search keys) and the entry's `about`. */
function pagesTable(list: readonly Page[]): string {
  const rows = list.map((page) => {
    const keys = Object.keys(page.search.shape);
    const url = `/${page.path}${keys.length ? `?${keys.map((k) => `${k}=`).join("&")}` : ""}`;
    return `| \`${url}\` | ${page.about.replaceAll("|", "\\|")} |`;
  });
  return ["| URL | what |", "| --- | --- |", ...rows].join("\n");
}

describe("route list", () => {
  it("has one entry per path", () => {
    const paths = pages.map((p) => p.path);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it.each(pages.map((p) => [p.path, p] as const))("%s: parses exactly its path parameters", (_, page) => {
    expect(Object.keys(page.params.shape).sort()).toEqual(pathNames(page).sort());
    if (page.nav) expect(pathNames(page), "a menu entry cannot need a parameter").toEqual([]);
  });

  it.each(pages.map((p) => [p.path, p] as const))("%s: survives any hand-edited URL", (_, page) => {
    for (const schema of [page.search, page.params]) {
      const defaults = urlDefaults(schema);
      expect(writeSearch(schema, defaults).toString()).toBe("");
      for (const junk of ["", " ", "-1", "0", "1.5", "NaN", "x".repeat(500), "\u0000", "%", "🙂"]) {
        const state = readUrlState(schema, () => junk);
        // Whatever survived the parse round-trips: the page can write it back unchanged.
        const params = writeSearch(schema, state);
        expect(readUrlState(schema, (k) => params.get(k))).toEqual(state);
      }
    }
  });

  it.each(pages.map((p) => [p.path, p] as const))("%s: loads a page component", async (_, page) => {
    const { element } = await page.lazy();
    expect(typeof (element.props as { page?: unknown }).page).toBe("function");
  });
});

describe("menu", () => {
  it("lists the route list's menu entries in order, and marks the current one", async () => {
    mockApi({ "/api/v1/ingestion/status": () => json({ generated_at: "2026-11-27T00:00:00Z", tiers: [] }) });
    renderRoute("/ingestion");
    const nav = await screen.findByRole("navigation", { name: "Main" });
    const links = within(nav).getAllByRole("link");
    const menu = pages.filter((p) => p.nav);
    expect(links.map((a) => a.textContent)).toEqual(menu.map((p) => p.nav?.label));
    expect(links.map((a) => a.getAttribute("href"))).toEqual(menu.map((p) => `/${p.path}`));
    expect(links.every((a) => a.querySelector("svg") !== null)).toBe(true);
    expect(await within(nav).findByRole("link", { current: "page" })).toHaveTextContent("Ingestion");
  });

  it("sends / to the first menu entry and anything unknown to 'No such page'", async () => {
    mockApi({ "/api/v1/series": () => json([]), "/api/v1/markets": () => json([], { total: 0 }) });
    const { router } = renderRoute("/");
    await screen.findByText("No markets stored yet");
    expect(router.state.location.pathname).toBe(`/${pages.find((p) => p.nav)?.path ?? ""}`);
    router.dispose();
    renderRoute("/no/such/page");
    expect(await screen.findByText("No such page")).toBeInTheDocument();
  });
});

it("frontend/README.md's page table is generated from the route list", () => {
  const readme = readFileSync(README, "utf8");
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  expect(begin, `README.md lacks the ${BEGIN} marker`).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(begin);
  const fresh = `${readme.slice(0, begin + BEGIN.length)}\n${pagesTable(pages)}\n${readme.slice(end)}`;
  if (process.env.UPDATE_DOCS === "1") writeFileSync(README, fresh);
  else expect(readme, "run `npm run gen:docs` in frontend/").toBe(fresh);
});
