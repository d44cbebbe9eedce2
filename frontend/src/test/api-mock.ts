/** A `fetch` stub for component tests: routes by path to handlers, records every request URL. */
import { vi } from "vitest";

export type Handler = (url: URL) => Response | Promise<Response>;

export function json(body: unknown, init: ResponseInit & { total?: number } = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  if (init.total !== undefined) headers.set("X-Total-Count", String(init.total));
  return new Response(JSON.stringify(body), { status: init.status ?? 200, headers });
}

export function mockApi(routes: Record<string, Handler>): { calls: URL[] } {
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
