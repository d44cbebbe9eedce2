/**
 * A `fetch` stub for component tests: routes by path to handlers, records every request URL.
 * `/health` answers healthy unless a test routes it itself (the header asks it on every page).
 */
import { vi } from "vitest";

import type { Health } from "@/api/client";

export type Handler = (url: URL) => Response | Promise<Response>;

export function json(body: unknown, init: ResponseInit & { total?: number } = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  if (init.total !== undefined) headers.set("X-Total-Count", String(init.total));
  return new Response(JSON.stringify(body), { status: init.status ?? 200, headers });
}

export const HEALTHY: Health = {
  status: "ok",
  database: "ok",
  detail: null,
  checked_at: "2026-11-27T00:00:00Z",
  ingestion: [],
};

export function mockApi(handlers: Record<string, Handler>): { calls: URL[] } {
  const routes: Record<string, Handler> = { "/health": () => json(HEALTHY), ...handlers };
  const calls: URL[] = [];
  const fetchMock = vi.fn((input: RequestInfo | URL): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    calls.push(url);
    for (const [pattern, handler] of Object.entries(routes)) {
      const re = new RegExp(`^${pattern}$`);
      if (re.test(url.pathname)) return Promise.resolve(handler(url));
    }
    return Promise.resolve(json({ detail: "Not Found" }, { status: 404 }));
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls };
}
