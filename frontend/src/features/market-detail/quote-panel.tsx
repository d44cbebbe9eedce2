/** The quote panel: best bid/ask with sizes, mid, spread, last, volume and open interest. */
import type { Market } from "@/api/client";
import { Time } from "@/components/time";
import { Card, CardContent } from "@/components/ui/card";
import { quoteMid, spreadCents } from "@/features/market-detail/history";
import { formatCents, formatCount } from "@/lib/format";
import { cn } from "@/lib/cn";

function Stat({
  label,
  value,
  sub,
  className,
}: {
  label: string;
  value: string;
  sub?: string;
  className?: string;
}) {
  return (
    <div className="space-y-1">
      <dt className="text-muted-foreground text-xs tracking-wide uppercase">{label}</dt>
      <dd className={cn("text-xl font-semibold tabular-nums", className)}>{value}</dd>
      {sub && <dd className="text-muted-foreground text-xs tabular-nums">{sub}</dd>}
    </div>
  );
}

export function QuotePanel({ market }: { market: Market }) {
  const hasBid = market.yes_bid > 0;
  const hasAsk = market.yes_ask < 1;
  const mid = quoteMid(market.yes_bid, market.yes_ask);
  const spread = spreadCents(market.yes_bid, market.yes_ask);
  return (
    <Card className="py-4" data-testid="quote-panel">
      <CardContent className="px-4">
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4 lg:grid-cols-8">
          <Stat
            label="Yes bid"
            value={hasBid ? formatCents(market.yes_bid) : "—"}
            sub={hasBid ? `${formatCount(market.yes_bid_size)} contracts` : "no bid"}
            className="text-chart-1"
          />
          <Stat
            label="Yes ask"
            value={hasAsk ? formatCents(market.yes_ask) : "—"}
            sub={hasAsk ? `${formatCount(market.yes_ask_size)} contracts` : "no ask"}
            className="text-chart-2"
          />
          <Stat label="Mid" value={formatCents(mid)} sub={`yes price ${formatCents(market.yes_price)}`} />
          <Stat
            label="Spread"
            value={spread === null ? "—" : formatCents(spread / 100)}
            sub={`no ${formatCents(market.no_bid)} / ${formatCents(market.no_ask)}`}
          />
          <Stat label="Last" value={formatCents(market.last_price)} />
          <Stat label="24h volume" value={formatCount(market.volume_24h)} sub="contracts" />
          <Stat label="Volume" value={formatCount(market.volume)} sub="contracts, lifetime" />
          <Stat label="Open interest" value={formatCount(market.open_interest)} sub="contracts" />
        </dl>
        <p className="text-muted-foreground mt-3 text-xs">
          Observed <Time iso={market.timestamp} variant="time" /> · quote last changed{" "}
          <Time iso={market.changed_at} variant="time" /> · source {market.source}
        </p>
      </CardContent>
    </Card>
  );
}
