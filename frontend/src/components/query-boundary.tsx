/**
 * Suspense + error boundary around a data section: a Skeleton while the first load is in
 * flight, `ErrorState` with a Retry that resets the failed queries when it fails.
 */
import { QueryErrorResetBoundary } from "@tanstack/react-query";
import { Component, Suspense, type ErrorInfo, type ReactNode } from "react";

import { ApiError } from "@/api/client";
import { ErrorState } from "@/components/states";

export const AUTO_RETRY_MS = 10_000;

interface BoundaryProps {
  onReset: () => void;
  resetKey?: string;
  children: ReactNode;
}

interface BoundaryState {
  error: unknown;
  resetKey: string | undefined;
}

class ErrorBoundary extends Component<BoundaryProps, BoundaryState> {
  override state: BoundaryState = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<BoundaryState> {
    return { error };
  }

  // Navigating elsewhere (a new resetKey) clears an old error instead of showing it there.
  static getDerivedStateFromProps(
    props: BoundaryProps,
    state: BoundaryState,
  ): Partial<BoundaryState> | null {
    if (props.resetKey !== state.resetKey) return { error: null, resetKey: props.resetKey };
    return null;
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.warn("section failed to load", error, info.componentStack);
  }

  private readonly retry = (): void => {
    this.props.onReset();
    this.setState({ error: null });
  };

  override render(): ReactNode {
    if (this.state.error !== null) {
      const { error } = this.state;
      // Only an outage is worth retrying unasked; a 404 or 422 will not change by itself.
      const autoRetryMs = error instanceof ApiError && error.isUnavailable ? AUTO_RETRY_MS : undefined;
      return <ErrorState error={error} onRetry={this.retry} autoRetryMs={autoRetryMs} />;
    }
    return this.props.children;
  }
}

export function QueryBoundary({
  fallback,
  resetKey,
  children,
}: {
  fallback: ReactNode;
  resetKey?: string;
  children: ReactNode;
}) {
  return (
    <QueryErrorResetBoundary>
      {({ reset }) => (
        <ErrorBoundary onReset={reset} resetKey={resetKey}>
          <Suspense fallback={fallback}>{children}</Suspense>
        </ErrorBoundary>
      )}
    </QueryErrorResetBoundary>
  );
}
