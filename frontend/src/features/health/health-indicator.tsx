/**
 * The header's health light: API + database up (green), ingestion failing (amber), ingestion not
 * running (slate: stopped, not broken), API or database down (red). A degraded tier (a few lost
 * ticks) and a tier the settings do not enable stay green here; the ingestion page has the detail.
 */
import { useQuery } from "@tanstack/react-query";

import { explainError } from "@/components/explain-error";
import { healthQuery } from "@/features/health/queries";
import { STATE_TEXT } from "@/features/ingestion/tier-health";
import { formatAge } from "@/lib/format";
import { cn } from "@/lib/cn";

export type Light = "ok" | "warn" | "bad" | "idle" | "unknown";

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
      // A tier the settings do not enable is expected to be not running: no light for it.
      const enabled = data.ingestion.filter((f) => f.enabled);
      const failing = enabled.filter((f) => f.status === "failing");
      const stopped = enabled.filter((f) => f.status === "not_running");
      const flagged = failing.length > 0 ? failing : stopped;
      light = failing.length > 0 ? "warn" : stopped.length > 0 ? "idle" : "ok";
      text =
        flagged.length > 0
          ? `API ok · ${flagged.map((f) => f.tier).join(", ")} ${STATE_TEXT[flagged[0]?.status ?? "ok"]}`
          : "API ok";
      title = data.ingestion
        .map((f) =>
          [`${f.tier}: ${STATE_TEXT[f.status]}`, `last ok tick ${formatAge(f.age_s)} ago`, ...f.reasons].join(" · "),
        )
        .join("\n");
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
          light === "idle" && "bg-status-idle",
          light === "unknown" && "bg-muted-foreground/40",
        )}
      />
      <span className="text-muted-foreground">{text}</span>
    </div>
  );
}
