/**
 * The one list of pages. The router (`@/app/router`), the header menu (`@/app/layout`) and
 * frontend/README.md's page table are all built from it: adding a page is one entry here plus
 * the feature's page module (and its queries) — see docs/EXTENDING.md.
 *
 * Each entry: the path, one line for the README, the lazily loaded page module (its default
 * export gets `search`, `params` and `setSearch` as props, parsed by the schemas named here),
 * and a menu label and icon when the page belongs in the header.
 */
import { Activity, CalendarDays, ChartCandlestick, FlaskConical, Target } from "lucide-react";

import { definePage, type Page } from "@/app/define-page";
import { backtestDetailParams } from "@/features/backtest-detail/queries";
import { backtestsSearch } from "@/features/backtests/queries";
import { calibrationSearch } from "@/features/calibration/queries";
import { eventsSearch } from "@/features/events/queries";
import { marketDetailParams, marketDetailSearch } from "@/features/market-detail/queries";
import { marketSearch } from "@/features/markets/search-params";

export const pages: readonly Page[] = [
  definePage({
    path: "markets",
    about:
      "latest quote per market, server-side search/filter/sort/paging (`X-Total-Count`), refreshed every 5 s in the background",
    load: () => import("@/features/markets/markets-page"),
    search: marketSearch,
    nav: { label: "Markets", icon: ChartCandlestick },
  }),
  definePage({
    path: "markets/:ticker",
    about:
      "quote panel (bid/ask with sizes, mid, spread, last, volume, OI) and bid/ask/mid step chart + traded-volume bars from `/history` over 1h, 6h, 24h (default) or all",
    load: () => import("@/features/market-detail/market-detail-page"),
    search: marketDetailSearch,
    params: marketDetailParams,
  }),
  definePage({
    path: "events",
    about: "events by ticker, optionally of one series, each linked to its markets",
    load: () => import("@/features/events/events-page"),
    search: eventsSearch,
    nav: { label: "Events", icon: CalendarDays },
  }),
  definePage({
    path: "backtests",
    about: "runs, newest first (strategy, window, PnL, Sharpe, drawdown, win rate, trades)",
    load: () => import("@/features/backtests/backtests-page"),
    search: backtestsSearch,
    nav: { label: "Backtests", icon: FlaskConical },
  }),
  definePage({
    path: "backtests/:id",
    about: "one run's metric cards, equity curve, trades, parameters and universe",
    load: () => import("@/features/backtest-detail/backtest-detail-page"),
    params: backtestDetailParams,
  }),
  definePage({
    path: "calibration",
    about:
      "reliability of trade prices: a stored analysis (default: the newest), its Brier score, reliability diagram and price bands",
    load: () => import("@/features/calibration/calibration-page"),
    search: calibrationSearch,
    nav: { label: "Calibration", icon: Target },
  }),
  definePage({
    path: "ingestion",
    about:
      'per tier: the API\'s status (healthy green, degraded amber, failing red, not running slate), its reasons, last ok tick age, coverage last hour / today, gaps marked "not running" (nothing polled: workbench stopped) or "failed" (lost by a running poller), recent errors',
    load: () => import("@/features/ingestion/ingestion-page"),
    nav: { label: "Ingestion", icon: Activity },
  }),
];
