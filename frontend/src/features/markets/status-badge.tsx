/** A market's Kalshi status as a badge: trading states stand out, finished ones recede. */
import { Badge } from "@/components/ui/badge";

export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="text-muted-foreground">—</span>;
  const variant = status === "active" ? "default" : status === "closed" ? "secondary" : "outline";
  return <Badge variant={variant}>{status}</Badge>;
}
