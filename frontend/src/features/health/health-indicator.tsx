/** The header's health light: API + database up (green), ingestion stale (amber), down (red). */
import { useQuery } from "@tanstack/react-query";

import { explainError } from "@/components/explain-error";
import { healthQuery } from "@/features/health/queries";
import { formatAge } from "@/lib/format";
import { cn } from "@/lib/cn";

/** Ingestion older than this (seconds) turns the light amber; the API still serves. */
export const STALE_INGESTION_S = 120;

export type Light = "ok" | "warn" | "bad" | "unknown";

export function HealthIndicator() {
  const { data, error } = useQuery(healthQuery());
  let light: Light = "unknown";
  let text = "Checking API…";
  let title = "";
  if (error) {
    light = "bad";
    text = "API unreachable";
    title = explainError(error).detail;
  } else if (data) {
    if (data.status !== "ok") {
      light = "bad";
      text = "Database unavailable";
      title = data.detail ?? "";
    } else {
      const ages = data.ingestion.map((f) => f.age_s);
      const stale = ages.some((a) => a === null || a > STALE_INGESTION_S);
      light = stale ? "warn" : "ok";
      text = stale ? "API ok · ingestion stale" : "API ok";
      title = data.ingestion.map((f) => `${f.tier}: last ok tick ${formatAge(f.age_s)} ago`).join("\n");
    }
  }
  return (
    <div
      className="flex items-center gap-2 text-sm"
      title={title}
      data-testid="health-indicator"
      data-light={light}
      role="status"
    >
      <span
        aria-hidden
        className={cn(
          "inline-block size-2.5 rounded-full",
          light === "ok" && "bg-status-ok",
          light === "warn" && "bg-status-warn",
          light === "bad" && "bg-status-bad",
          light === "unknown" && "bg-muted-foreground/40",
        )}
      />
      <span className="text-muted-foreground">{text}</span>
    </div>
  );
}
