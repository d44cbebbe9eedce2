/** Loading placeholder shaped like a table, so the page does not jump when rows arrive. */
import { Skeleton } from "@/components/ui/skeleton";

export function TableSkeleton({ rows = 10, label = "Loading" }: { rows?: number; label?: string }) {
  return (
    <div className="space-y-2" aria-busy="true" aria-label={label} data-testid="loading">
      <Skeleton className="h-9 w-full" />
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className="h-7 w-full" />
      ))}
    </div>
  );
}
