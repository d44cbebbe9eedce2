/** The explicit non-data states every page uses: error (with retry) and empty. */
import { AlertTriangle, Inbox, RefreshCw } from "lucide-react";
import { useEffect, type ReactNode } from "react";

import { explainError } from "@/components/explain-error";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";

/**
 * An error with a Retry button. With `autoRetryMs`, Retry also happens by itself after that
 * long, so a dashboard left open recovers when the API comes back.
 */
export function ErrorState({
  error,
  onRetry,
  autoRetryMs,
}: {
  error: unknown;
  onRetry?: () => void;
  autoRetryMs?: number;
}) {
  const { title, detail } = explainError(error);
  useEffect(() => {
    if (!onRetry || autoRetryMs === undefined) return;
    const timer = setTimeout(onRetry, autoRetryMs);
    return () => {
      clearTimeout(timer);
    };
  }, [onRetry, autoRetryMs]);
  return (
    <Card role="alert" data-testid="error-state" className="border-destructive/40">
      <CardContent className="flex items-start gap-3">
        <AlertTriangle className="text-destructive mt-0.5 size-5 shrink-0" aria-hidden />
        <div className="flex-1 space-y-1">
          <p className="font-medium">{title}</p>
          <p className="text-muted-foreground text-sm break-words">{detail}</p>
          {onRetry && autoRetryMs !== undefined && (
            <p className="text-muted-foreground text-xs">
              Retrying by itself every {Math.round(autoRetryMs / 1000)} s.
            </p>
          )}
        </div>
        {onRetry && (
          <Button variant="outline" size="sm" onClick={onRetry}>
            <RefreshCw aria-hidden /> Retry
          </Button>
        )}
      </CardContent>
    </Card>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div
      data-testid="empty-state"
      className="text-muted-foreground flex flex-col items-center gap-2 rounded-xl border border-dashed px-6 py-12 text-center"
    >
      <Inbox className="size-6" aria-hidden />
      <p className="text-foreground font-medium">{title}</p>
      {children && <div className="text-sm">{children}</div>}
    </div>
  );
}
