/** Contract: `/health`'s query returns the body that says what is down, even with a 503. */
import { QueryClient } from "@tanstack/react-query";
import { expect, it } from "vitest";

import { healthQuery } from "@/features/health/queries";
import { json, mockApi } from "@/test/api-mock";

it("returns the health body even on 503", async () => {
  const body = {
    status: "unavailable",
    database: "unavailable",
    detail: "db down",
    checked_at: "2026-11-27T00:00:00Z",
    ingestion: [],
  };
  mockApi({ "/health": () => json(body, { status: 503 }) });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  await expect(client.query(healthQuery())).resolves.toEqual(body);
});
