/** Events by ticker, optionally of one series; each links to its markets. */
import { useSuspenseQuery } from "@tanstack/react-query";
import { startTransition } from "react";
import { Link } from "react-router";

import type { PageProps } from "@/app/define-page";
import { Pager } from "@/components/pager";
import { QueryBoundary } from "@/components/query-boundary";
import { EmptyState } from "@/components/states";
import { TableSkeleton } from "@/components/table-skeleton";
import { Time } from "@/components/time";
import { Card, CardContent } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import {
  EVENTS_PAGE_SIZE,
  eventListQuery,
  eventsSearch,
  type EventsSearch,
} from "@/features/events/queries";
import { marketsHref } from "@/features/markets/search-params";
import { formatCount } from "@/lib/format";
import { searchHref } from "@/lib/url-state";

const eventsHref = (s: EventsSearch) => searchHref("/events", eventsSearch, s);

function EventList({ search }: { search: EventsSearch }) {
  const { data } = useSuspenseQuery(eventListQuery(search));
  if (data.items.length === 0) {
    if (search.series) {
      return (
        <EmptyState title={`No events of series ${search.series}`}>
          <Link to="/events" className="underline">
            All events
          </Link>
        </EmptyState>
      );
    }
    return (
      <EmptyState title={search.page > 1 ? "No events on this page" : "No events stored yet"}>
        The catalogue tier of ingestion stores events; see{" "}
        <Link to="/ingestion" className="underline">
          Ingestion
        </Link>
        .
      </EmptyState>
    );
  }
  const pages = Math.max(1, Math.ceil(data.total / EVENTS_PAGE_SIZE));
  return (
    <div className="space-y-3">
      <Table data-testid="events-table">
        <TableHeader>
          <TableRow>
            <TableHead>Event</TableHead>
            <TableHead>Title</TableHead>
            <TableHead>Series</TableHead>
            <TableHead>Category</TableHead>
            <TableHead>Strike date</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {data.items.map((e) => (
            <TableRow key={e.event_ticker} data-testid="event-row">
              <TableCell className="font-mono text-xs">
                <Link
                  to={marketsHref({ event: e.event_ticker })}
                  className="text-primary underline-offset-4 hover:underline"
                  title="This event's markets"
                >
                  {e.event_ticker}
                </Link>
              </TableCell>
              <TableCell>
                {e.title}
                {e.sub_title && <span className="text-muted-foreground"> · {e.sub_title}</span>}
              </TableCell>
              <TableCell className="font-mono text-xs">
                <Link
                  to={eventsHref({ series: e.series_ticker, page: 1 })}
                  className="underline-offset-4 hover:underline"
                  title="Events of this series"
                >
                  {e.series_ticker}
                </Link>
              </TableCell>
              <TableCell>{e.category ?? "—"}</TableCell>
              <TableCell>
                <Time iso={e.strike_date} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <nav aria-label="Pagination" className="flex items-center justify-between text-sm">
        <p className="text-muted-foreground">
          {formatCount(data.total)} events · page {search.page} of {pages}
        </p>
        <Pager
          prev={search.page > 1 ? eventsHref({ ...search, page: search.page - 1 }) : null}
          next={search.page < pages ? eventsHref({ ...search, page: search.page + 1 }) : null}
        />
      </nav>
    </div>
  );
}

export default function EventsPage({ search, setSearch }: PageProps<typeof eventsSearch>) {
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Events</h1>
          <p className="text-muted-foreground text-sm">By ticker · an event&apos;s ticker lists its markets</p>
        </div>
        <Input
          // A new key when the URL changes elsewhere (a series link, Back) shows the URL's value.
          key={search.series}
          aria-label="Series ticker"
          placeholder="Series (e.g. KXBTC), Enter"
          className="w-full sm:w-56"
          maxLength={200}
          defaultValue={search.series}
          onKeyDown={(e) => {
            if (e.key !== "Enter") return;
            const series = e.currentTarget.value.trim().toUpperCase();
            startTransition(() => {
              setSearch({ series, page: 1 });
            });
          }}
        />
      </div>
      <Card className="py-4">
        <CardContent className="px-4">
          <QueryBoundary fallback={<TableSkeleton rows={5} label="Loading events" />}>
            <EventList search={search} />
          </QueryBoundary>
        </CardContent>
      </Card>
    </div>
  );
}
