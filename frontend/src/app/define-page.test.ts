/**
 * Contract: a route-list entry loads its page module once (a hover's preload and the navigation
 * share it), fetches it again after a failed download, and does not compile when the page's
 * props do not match the schemas the entry names (`npm run typecheck` checks the
 * `@ts-expect-error` lines below: each must be an error).
 */
import { describe, expect, it, vi } from "vitest";

import { definePage, type PageProps } from "@/app/define-page";
import { backtestDetailParams } from "@/features/backtest-detail/queries";
import { backtestsSearch } from "@/features/backtests/queries";
import { calibrationSearch } from "@/features/calibration/queries";
import { urlField, urlSchema } from "@/lib/url-state";

function Page({ search }: PageProps<typeof backtestsSearch>) {
  return `page ${String(search.page)}`;
}

describe("definePage", () => {
  it("loads the module once for preload and navigation", async () => {
    const load = vi.fn(() => Promise.resolve({ default: Page }));
    const page = definePage({ path: "x", about: "x", load, search: backtestsSearch });
    page.preload();
    page.preload();
    await page.lazy();
    await page.lazy();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("fetches the module again after a failed download", async () => {
    const load = vi
      .fn<() => Promise<{ default: typeof Page }>>()
      .mockRejectedValueOnce(new TypeError("Failed to fetch dynamically imported module"))
      .mockResolvedValue({ default: Page });
    const page = definePage({ path: "x", about: "x", load, search: backtestsSearch });
    await expect(page.lazy()).rejects.toThrow(/dynamically imported/);
    await expect(page.lazy()).resolves.toHaveProperty("element");
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("swallows a failed preload (the navigation reports it)", async () => {
    const load = vi.fn(() => Promise.reject(new TypeError("offline")));
    const page = definePage({ path: "x", about: "x", load });
    page.preload();
    await vi.waitFor(() => {
      expect(load).toHaveBeenCalledTimes(1);
    });
  });

  it("types the page's props by the schemas the entry names", () => {
    const load = () => Promise.resolve({ default: Page });
    const entries = [
      definePage({ path: "ok", about: "", load, search: backtestsSearch }),
      // A page that ignores the URL fits any schema.
      definePage({ path: "any", about: "", load: () => Promise.resolve({ default: () => null }), search: calibrationSearch }),
      // @ts-expect-error the page reads ?page=, the entry names no search schema
      definePage({ path: "none", about: "", load }),
      // @ts-expect-error the page reads ?page=, the entry names ?id=
      definePage({ path: "other", about: "", load, search: calibrationSearch }),
      // @ts-expect-error a field without a fallback is not URL state
      definePage({ path: "raw", about: "", load, search: urlSchema({ page: backtestDetailParams }) }),
    ];
    expect(entries.map((e) => e.path)).toEqual(["ok", "any", "none", "other", "raw"]);
    expect(Object.keys(urlSchema({ q: urlField.text() }).shape)).toEqual(["q"]);
  });
});
