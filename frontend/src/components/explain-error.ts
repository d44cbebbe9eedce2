/** Words for a failed request: what happened and what the user can do about it. */
import { ApiError } from "@/api/client";

/** What to tell the user about an error, in words. */
export function explainError(error: unknown): { title: string; detail: string } {
  if (error instanceof ApiError) {
    if (error.status === 0) {
      return {
        title: "Cannot reach the workbench API",
        detail: `The request did not get an answer (${error.detail}). Is the API running?`,
      };
    }
    if (error.isUnavailable) {
      return {
        title: "The workbench API is unavailable",
        detail: `HTTP ${error.status}: ${error.detail}. The API or its database is down; it may come back by itself.`,
      };
    }
    if (error.status === 404) return { title: "Not found", detail: error.detail };
    if (error.status === 422) return { title: "Invalid request", detail: error.detail };
    return { title: `The API answered HTTP ${error.status}`, detail: error.detail };
  }
  return {
    title: "Something went wrong",
    detail: error instanceof Error ? error.message : String(error),
  };
}
