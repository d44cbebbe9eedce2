/**
 * How numbers and times read everywhere in the SPA.
 *
 * Contract prices (0..1 dollars) read as cents ("52¢", "45.5¢"), money amounts (PnL, fees) as
 * dollars ("$1,234.56"), counts of contracts with thousands separators. Numbers use en-US
 * grouping so a table reads the same for every user; times use the user's locale and time zone,
 * with the UTC instant available for a hover title.
 */

const DASH = "—";

const centsFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });
const dollarsFormat = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const signedDollarsFormat = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: "exceptZero",
});
const countFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const compactFormat = new Intl.NumberFormat("en-US", {
  notation: "compact",
  maximumFractionDigits: 1,
});
const percentFormat = new Intl.NumberFormat("en-US", {
  style: "percent",
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});
const ratioFormat = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

function missing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || !Number.isFinite(value);
}

/** Dollars to cents without float noise: prices carry at most 6 decimals of a dollar. */
export function toCents(dollars: number): number {
  return Math.round(dollars * 1_000_000) / 10_000;
}

/** A contract price in cents: 0.52 -> "52¢", 0.455 -> "45.5¢". */
export function formatCents(dollars: number | null | undefined): string {
  if (missing(dollars)) return DASH;
  return `${centsFormat.format(toCents(dollars))}¢`;
}

/** A money amount: 1234.5 -> "$1,234.50", -12.3 -> "-$12.30". */
export function formatDollars(dollars: number | null | undefined): string {
  if (missing(dollars)) return DASH;
  return dollarsFormat.format(dollars);
}

/** A PnL: always signed, 12.3 -> "+$12.30", 0 -> "$0.00". */
export function formatPnl(dollars: number | null | undefined): string {
  if (missing(dollars)) return DASH;
  return signedDollarsFormat.format(dollars);
}

/** Contracts: 23947407 -> "23,947,407"; fractional counts keep 2 decimals. */
export function formatCount(n: number | null | undefined): string {
  if (missing(n)) return DASH;
  return countFormat.format(n);
}

/** Contracts, short: 23947407 -> "23.9M". */
export function formatCompact(n: number | null | undefined): string {
  if (missing(n)) return DASH;
  return compactFormat.format(n);
}

/** A 0..1 ratio as a percentage: 0.985 -> "98.5%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (missing(ratio)) return DASH;
  return percentFormat.format(ratio);
}

/** A statistic such as a Sharpe ratio: 1.234 -> "1.23". */
export function formatRatio(x: number | null | undefined): string {
  if (missing(x)) return DASH;
  return ratioFormat.format(x);
}

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The instant in UTC, unambiguous: "2026-11-27 04:50:00 UTC". */
export function formatUtc(iso: string | null | undefined): string {
  const d = parse(iso);
  if (!d) return DASH;
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Date and time in the user's locale and time zone. */
export function formatLocalDateTime(
  iso: string | null | undefined,
  locale?: string,
  timeZone?: string,
): string {
  const d = parse(iso);
  if (!d) return DASH;
  return d.toLocaleString(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  });
}

/** Month, day and time without the year, in the user's locale (compact table cells). */
export function formatLocalShortDateTime(
  iso: string | null | undefined,
  locale?: string,
  timeZone?: string,
): string {
  const d = parse(iso);
  if (!d) return DASH;
  return d.toLocaleString(locale, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  });
}

/** Time of day with seconds, in the user's locale (for quote and tick times). */
export function formatLocalTime(
  iso: string | null | undefined,
  locale?: string,
  timeZone?: string,
): string {
  const d = parse(iso);
  if (!d) return DASH;
  return d.toLocaleTimeString(locale, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZone,
  });
}

/** Hours and minutes in the user's locale (chart axis ticks). */
export function formatLocalHourMinute(
  iso: string | null | undefined,
  locale?: string,
  timeZone?: string,
): string {
  const d = parse(iso);
  if (!d) return DASH;
  return d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", timeZone });
}

/** An age in seconds, coarse: 4.2 -> "4s", 130 -> "2m 10s", 11000 -> "3h 3m", 200000 -> "2d 7h". */
export function formatAge(seconds: number | null | undefined): string {
  if (missing(seconds)) return DASH;
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Seconds from `iso` to `now` (ms epoch), or null for a missing time. */
export function ageSeconds(iso: string | null | undefined, now: number): number | null {
  const d = parse(iso);
  return d ? (now - d.getTime()) / 1000 : null;
}
