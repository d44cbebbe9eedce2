/**
 * Markets: search, status/series filters, sortable columns and pagination, all in the URL;
 * the table refreshes every 5 s in the background without replacing what is on screen.
 */
import { useQuery, useSuspenseQuery } from "@tanstack/react-query";
import { Search, X } from "lucide-react";
import { startTransition, useEffect, useState } from "react";
import { Link } from "react-router";

import type { MarketStatus } from "@/api/client";
import type { PageProps } from "@/app/define-page";

import { Pager } from "@/components/pager";
import { QueryBoundary } from "@/components/query-boundary";
import { EmptyState } from "@/components/states";
import { TableSkeleton } from "@/components/table-skeleton";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { NativeSelect, NativeSelectOption } from "@/components/ui/native-select";
import { MarketsTable } from "@/features/markets/markets-table";
import { marketListQuery, seriesListQuery } from "@/features/markets/queries";
import {
  MARKET_STATUSES,
  PAGE_SIZE,
  marketsHref,
  nextSort,
  pageCount,
  type MarketSearch,
  type marketSearch,
} from "@/features/markets/search-params";
import { formatCount, formatLocalTime } from "@/lib/format";

const SEARCH_DEBOUNCE_MS = 300;

function SearchBox({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const [text, setText] = useState(value);
  const [synced, setSynced] = useState(value);
  // The URL changed elsewhere (back button, "clear filters"): show its value.
  if (value !== synced) {
    setSynced(value);
    setText(value);
  }
  useEffect(() => {
    if (text.trim() === value) return;
    const timer = setTimeout(() => {
      onChange(text.trim());
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
    };
  }, [text, value, onChange]);
  return (
    <div className="relative w-full sm:w-72">
      <Search
        className="text-muted-foreground pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2"
        aria-hidden
      />
      <Input
        type="search"
        aria-label="Search markets"
        placeholder="Search ticker or title"
        className="pl-8"
        maxLength={200}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
        }}
      />
    </div>
  );
}

function SeriesFilter({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  // Suggestions only: the filter accepts any series ticker even if the list is empty or failed.
  const series = useQuery(seriesListQuery());
  const [text, setText] = useState(value);
  const [synced, setSynced] = useState(value);
  if (value !== synced) {
    setSynced(value);
    setText(value);
  }
  const commit = () => {
    const next = text.trim().toUpperCase();
    if (next !== value) onChange(next);
  };
  return (
    <>
      <Input
        aria-label="Series ticker"
        placeholder="Series (e.g. KXBTC)"
        list="series-options"
        className="w-full sm:w-44"
        maxLength={200}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === "Enter") commit();
        }}
      />
      <datalist id="series-options">
        {(series.data ?? []).map((s) => (
          <option key={s.ticker} value={s.ticker}>
            {s.title}
          </option>
        ))}
      </datalist>
    </>
  );
}

function Pagination({
  search,
  total,
}: {
  search: MarketSearch;
  total: number;
}) {
  const pages = pageCount(total);
  const link = (page: number) => marketsHref({ ...search, page });
  const first = total === 0 ? 0 : (search.page - 1) * PAGE_SIZE + 1;
  const last = Math.min(total, search.page * PAGE_SIZE);
  return (
    <nav aria-label="Pagination" className="flex items-center justify-between gap-2 text-sm">
      <p className="text-muted-foreground" data-testid="markets-count">
        {formatCount(first)}–{formatCount(last)} of {formatCount(total)} markets · page{" "}
        {search.page} of {pages}
      </p>
      <Pager
        prev={search.page > 1 ? link(search.page - 1) : null}
        next={search.page < pages ? link(search.page + 1) : null}
      />
    </nav>
  );
}

function MarketsResults({
  search,
  onChange,
}: {
  search: MarketSearch;
  onChange: (next: MarketSearch) => void;
}) {
  const query = useSuspenseQuery(marketListQuery(search));
  const { items, total } = query.data;
  const filtered = Boolean(search.search || search.status || search.series || search.event);
  if (items.length === 0) {
    if (search.page > 1 && total > 0) {
      return (
        <EmptyState title={`Page ${search.page} is past the last page`}>
          <Link to={marketsHref({ ...search, page: 1 })} className="underline">
            Go to the first page
          </Link>
        </EmptyState>
      );
    }
    return filtered ? (
      <EmptyState title="No markets match these filters">
        <Link to="/markets" className="underline">
          Clear the filters
        </Link>
      </EmptyState>
    ) : (
      <EmptyState title="No markets stored yet">
        Ingestion has not written a quote yet; see <Link to="/ingestion" className="underline">Ingestion</Link>.
      </EmptyState>
    );
  }
  return (
    <div className="space-y-3">
      {query.isRefetchError && (
        <p role="status" className="text-status-bad text-sm">
          Live refresh failed ({query.error.message}); showing data from{" "}
          {formatLocalTime(new Date(query.dataUpdatedAt).toISOString())}.
        </p>
      )}
      <MarketsTable
        markets={items}
        search={search}
        onSort={(column) => {
          onChange(nextSort(search, column));
        }}
      />
      <Pagination search={search} total={total} />
    </div>
  );
}

export default function MarketsPage({ search, setSearch: setUrl }: PageProps<typeof marketSearch>) {
  const setSearch = (next: MarketSearch) => {
    // A transition keeps the current rows on screen while the next page loads; filters typed
    // as you go replace the history entry instead of piling up.
    startTransition(() => {
      setUrl(next, { replace: true });
    });
  };
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Markets</h1>
          <p className="text-muted-foreground text-sm">
            Latest quote per market · prices in cents · refreshes every 5 s
          </p>
        </div>
        <div className="flex w-full flex-wrap items-center gap-2 sm:w-auto">
          <SearchBox
            value={search.search}
            onChange={(v) => {
              setSearch({ ...search, search: v, page: 1 });
            }}
          />
          <NativeSelect
            aria-label="Status"
            value={search.status ?? ""}
            onChange={(e) => {
              setSearch({
                ...search,
                status: (e.target.value || null) as MarketStatus | null,
                page: 1,
              });
            }}
          >
            <NativeSelectOption value="">Any status</NativeSelectOption>
            {MARKET_STATUSES.map((s) => (
              <NativeSelectOption key={s} value={s}>
                {s}
              </NativeSelectOption>
            ))}
          </NativeSelect>
          <SeriesFilter
            value={search.series}
            onChange={(v) => {
              setSearch({ ...search, series: v, page: 1 });
            }}
          />
          {search.event && (
            <Badge variant="secondary" className="h-9 gap-1 px-3 text-sm">
              event {search.event}
              <button
                type="button"
                aria-label="Clear the event filter"
                className="hover:text-foreground text-muted-foreground ml-1"
                onClick={() => {
                  setSearch({ ...search, event: "", page: 1 });
                }}
              >
                <X className="size-3.5" aria-hidden />
              </button>
            </Badge>
          )}
        </div>
      </div>
      <Card className="py-4">
        <CardContent className="px-4">
          <QueryBoundary fallback={<TableSkeleton label="Loading markets" />}>
            <MarketsResults search={search} onChange={setSearch} />
          </QueryBoundary>
        </CardContent>
      </Card>
    </div>
  );
}
