/** One market: header, live quote panel and the price history chart with a range selector. */
import { useSuspenseQuery } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { startTransition } from "react";
import { Link } from "react-router";

import type { PageProps } from "@/app/define-page";

import { QueryBoundary } from "@/components/query-boundary";
import { EmptyState } from "@/components/states";
import { Time } from "@/components/time";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Tabs, TabsList, TabsTrigger } from "@/components/ui/tabs";
import {
  HISTORY_LIMIT,
  RANGES,
  extendTo,
  toChartPoints,
  type HistoryRange,
} from "@/features/market-detail/history";
import { PriceChart } from "@/features/market-detail/price-chart";
import {
  marketHistoryQuery,
  marketQuery,
  type marketDetailParams,
  type marketDetailSearch,
} from "@/features/market-detail/queries";
import { QuotePanel } from "@/features/market-detail/quote-panel";
import { marketsHref } from "@/features/markets/search-params";
import { StatusBadge } from "@/features/markets/status-badge";
import { formatCount } from "@/lib/format";

function MarketHeader({ ticker }: { ticker: string }) {
  const { data: market } = useSuspenseQuery(marketQuery(ticker));
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="space-y-1">
          <h1 className="text-2xl font-semibold tracking-tight">{market.title ?? ticker}</h1>
          <p className="text-muted-foreground flex flex-wrap items-center gap-2 text-sm">
            <span className="font-mono">{market.market_ticker}</span>
            <StatusBadge status={market.status} />
            {market.event_ticker && (
              <Link
                to={marketsHref({ event: market.event_ticker })}
                className="underline-offset-4 hover:underline"
                title="All markets of this event"
              >
                event {market.event_ticker}
              </Link>
            )}
            {market.close_time && (
              <span>
                closes <Time iso={market.close_time} />
              </span>
            )}
          </p>
        </div>
      </div>
      <QuotePanel market={market} />
    </div>
  );
}

function HistoryChart({ ticker, range }: { ticker: string; range: HistoryRange }) {
  const { data: history } = useSuspenseQuery(marketHistoryQuery(ticker, range));
  const { data: market } = useSuspenseQuery(marketQuery(ticker));
  if (history.length === 0) {
    return (
      <EmptyState title={range === "all" ? "No stored history yet" : `No quote changes in the last ${range}`}>
        {range !== "all" && "Try a longer range."}
      </EmptyState>
    );
  }
  const points = extendTo(toChartPoints(history), Date.parse(market.timestamp));
  return (
    <div className="space-y-1">
      <PriceChart points={points} />
      <p className="text-muted-foreground text-xs">
        {formatCount(history.length)} stored snapshots (stored only when the quote changes)
        {history.length >= HISTORY_LIMIT && ` — showing the newest ${formatCount(HISTORY_LIMIT)}`}.
        Empty sides (no bid / no ask) are not drawn.
      </p>
    </div>
  );
}

export default function MarketDetailPage({
  params: { ticker },
  search: { range },
  setSearch,
}: PageProps<typeof marketDetailSearch, typeof marketDetailParams>) {
  const back = (
    <Link
      to="/markets"
      className="text-muted-foreground hover:text-foreground inline-flex items-center gap-1 text-sm"
    >
      <ArrowLeft className="size-4" aria-hidden /> Markets
    </Link>
  );
  if (!ticker) {
    return (
      <div className="space-y-4">
        {back}
        <EmptyState title="Not a market ticker">
          Tickers are at most 200 characters, without control characters.
        </EmptyState>
      </div>
    );
  }
  return (
    <div className="space-y-4">
      {back}
      <QueryBoundary
        resetKey={ticker}
        fallback={
          <div className="space-y-4" aria-busy="true" data-testid="loading">
            <Skeleton className="h-8 w-2/3" />
            <Skeleton className="h-28 w-full" />
          </div>
        }
      >
        <MarketHeader ticker={ticker} />
      </QueryBoundary>
      <Card>
        <CardHeader className="flex flex-wrap items-center justify-between gap-2">
          <div className="space-y-1.5">
            <CardTitle>Price history</CardTitle>
            <CardDescription>Yes bid, ask and mid; contracts traded between snapshots</CardDescription>
          </div>
          <Tabs
            value={range}
            onValueChange={(v) => {
              const next = RANGES.find((r) => r === v);
              if (next === undefined) return;
              startTransition(() => {
                setSearch({ range: next }, { replace: true });
              });
            }}
          >
            <TabsList aria-label="History range">
              {RANGES.map((r) => (
                <TabsTrigger key={r} value={r}>
                  {r}
                </TabsTrigger>
              ))}
            </TabsList>
          </Tabs>
        </CardHeader>
        <CardContent>
          <QueryBoundary
            resetKey={`${ticker}/${range}`}
            fallback={<Skeleton className="h-96 w-full" aria-busy="true" data-testid="loading" />}
          >
            <HistoryChart ticker={ticker} range={range} />
          </QueryBoundary>
        </CardContent>
      </Card>
    </div>
  );
}
