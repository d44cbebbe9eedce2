/**
 * The one typed HTTP client of the SPA (openapi-fetch over the generated `paths`), and the
 * conversion of every failure into an `ApiError` that the error states can explain.
 *
 * Same-origin by default: `vite preview` / `vite` proxy `/api` and `/health` to the API, so no
 * CORS is involved. `VITE_API_URL` (build time) points the SPA at another origin instead.
 */
import createClient from "openapi-fetch";

import type { components, paths } from "@/api/generated/schema";

export type Schemas = components["schemas"];
export type Market = Schemas["MarketOut"];
export type HistoryPoint = Schemas["HistoryPointOut"];
export type BacktestSummary = Schemas["BacktestSummaryOut"];
export type Backtest = Schemas["BacktestOut"];
export type IngestionStatus = Schemas["IngestionStatusOut"];
export type TierStatus = Schemas["TierStatusOut"];
export type Health = Schemas["HealthOut"];
export type MarketStatus = Schemas["MarketStatus"];
export type SeriesItem = Schemas["SeriesOut"];

/** A failed API call: `status` 0 means the API could not be reached at all. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;

  constructor(status: number, detail: string) {
    super(status === 0 ? `API unreachable: ${detail}` : `HTTP ${status}: ${detail}`);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }

  /** The API (or its database) is down or the proxy has nothing behind it. */
  get isUnavailable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }

  /** The request itself was wrong: retrying it cannot help. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export function apiBaseUrl(): string {
  const configured = import.meta.env.VITE_API_URL as string | undefined;
  if (configured) return configured.replace(/\/+$/, "");
  return window.location.origin;
}

export const api = createClient<paths>({
  baseUrl: apiBaseUrl(),
  // Resolved per call (not captured once) so tests can stub `fetch`.
  fetch: (request: Request) => globalThis.fetch(request),
});

/** Words for an error body: FastAPI's `{"detail": "..."}`, its 422 list, or raw text. */
export function describeErrorBody(body: unknown): string {
  if (typeof body === "string") return body.trim();
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body).detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail
        .map((d: unknown) =>
          d && typeof d === "object" && "msg" in d ? String((d).msg) : "",
        )
        .filter(Boolean)
        .join("; ");
    }
  }
  return "";
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws an `ApiError`.
 * A network failure (fetch rejects) becomes status 0.
 */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<{ data: T; response: Response }> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, err instanceof Error ? err.message : String(err));
  }
  const { data, error, response } = result;
  if (!response.ok || data === undefined) {
    const detail = describeErrorBody(error) || response.statusText || "no details";
    throw new ApiError(response.status, detail);
  }
  return { data, response };
}

/** `X-Total-Count` as a number, or null when the header is missing or not a count. */
export function totalCount(response: Response): number | null {
  const raw = response.headers.get("X-Total-Count");
  if (raw === null || raw.trim() === "") return null;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : null;
}
