// A stand-in for the workbench API for the browser test: fixture JSON in the real response
// shapes (checked against the API's OpenAPI by src/test/stub-api.test.ts), the same query
// parameters and X-Total-Count header, and a switch that makes every endpoint answer 503 so the
// SPA's error state can be exercised. Times in history, ingestion and health are made relative
// to "now" so the default chart range always has data.
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

import BACKTEST_DETAIL from "./fixtures/backtest-7.json" with { type: "json" };
import BACKTESTS from "./fixtures/backtests.json" with { type: "json" };
import CALIBRATION_2 from "./fixtures/calibration-2.json" with { type: "json" };
import CALIBRATION_3 from "./fixtures/calibration-3.json" with { type: "json" };
import CALIBRATIONS from "./fixtures/calibrations.json" with { type: "json" };
import MARKETS from "./fixtures/markets.json" with { type: "json" };
import SERIES from "./fixtures/series.json" with { type: "json" };

export { BACKTEST_DETAIL, BACKTESTS, MARKETS, SERIES };
export { CALIBRATIONS };
/** Stored calibration analyses by id: computed by kalshi_core.analysis.calibration from real
 * Kalshi trade tapes (222 settled markets, 2025-11-07 to 11-09; id 2 is series KXBTCD). */
export const CALIBRATION_DETAILS = { 2: CALIBRATION_2, 3: CALIBRATION_3 };

const SORT_KEYS = {
  ticker: (m) => m.market_ticker,
  volume: (m) => m.volume,
  volume_24h: (m) => m.volume_24h,
  open_interest: (m) => m.open_interest,
  close_time: (m) => m.close_time ?? "",
  updated: (m) => m.changed_at ?? "",
};

const r6 = (x) => Math.round(x * 1e6) / 1e6;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, ".000000Z");

/** Snapshots of a market every 5 minutes over the last 30 hours, newest first, with a drift. */
export function buildHistory(market, now = Date.now(), { start, end, limit = 500 } = {}) {
  const points = [];
  const step = 5 * 60_000;
  const last = Math.floor(now / step) * step;
  const n = 360;
  for (let i = 0; i < n; i += 1) {
    const t = last - i * step;
    const wiggle = Math.round(Math.sin(i / 9) * 4) / 100;
    const bid = market.yes_bid > 0 ? r6(Math.min(0.98, Math.max(0.01, market.yes_bid + wiggle))) : 0;
    const ask = market.yes_ask < 1 ? r6(Math.min(0.99, Math.max(bid + 0.01, market.yes_ask + wiggle))) : 1;
    const mid = bid > 0 && ask < 1 ? r6((bid + ask) / 2) : market.last_price;
    points.push({
      market_ticker: market.market_ticker,
      timestamp: iso(t),
      source: "rest",
      sequence: t,
      yes_price: mid,
      no_price: r6(1 - mid),
      yes_bid: bid,
      yes_ask: ask,
      no_bid: r6(1 - ask),
      no_ask: r6(1 - bid),
      last_price: market.last_price,
      yes_bid_size: market.yes_bid_size,
      yes_ask_size: market.yes_ask_size,
      volume: Math.max(0, market.volume - i * 37),
      volume_24h: market.volume_24h,
      open_interest: market.open_interest,
    });
  }
  return points
    .filter((p) => (!start || Date.parse(p.timestamp) >= Date.parse(start)) && (!end || Date.parse(p.timestamp) < Date.parse(end)))
    .slice(0, limit);
}

export function buildIngestion(now = Date.now()) {
  const tick = (ms, s) => Math.floor(ms / (s * 1000)) * s * 1000;
  const day = new Date(now);
  day.setUTCHours(0, 0, 0, 0);
  // `lost` ticks are split by the kinds of `gaps`: all "failed" or all "not_running".
  const coverage = (startMs, interval, okRatio, gaps) => {
    const expected = Math.max(1, Math.floor((now - startMs) / (interval * 1000)));
    const ok = Math.round(expected * okRatio);
    const lost = expected - ok;
    const stopped = gaps.some((g) => g.kind === "not_running");
    const failed = stopped ? 0 : lost;
    return {
      start: new Date(startMs).toISOString(),
      end: new Date(now).toISOString(),
      expected,
      ok,
      missed: lost - Math.min(1, failed),
      errors: Math.min(1, failed),
      ratio: ok / expected,
      failed,
      not_running: stopped ? lost : 0,
      pending: 0,
      running_ratio: ok + failed > 0 ? ok / (ok + failed) : 1,
      gaps,
    };
  };
  const watchTick = new Date(tick(now, 5)).toISOString();
  const catTick = new Date(tick(now, 15) - 15_000).toISOString();
  // The watchlist was stopped for half an hour earlier today (a restart), the catalogue lost
  // ticks to 429s while running.
  const dayStart = day.getTime();
  const stoppedFrom = Math.max(dayStart, now - 4 * 3_600_000);
  const watchGaps =
    now - dayStart > 3_600_000
      ? [
          {
            start: new Date(stoppedFrom).toISOString(),
            end: new Date(Math.min(stoppedFrom + 1_800_000, now - 3_600_000)).toISOString(),
            kind: "not_running",
          },
        ]
      : [];
  const catGap = {
    start: new Date(now - 1_800_000).toISOString(),
    end: new Date(now - 1_500_000).toISOString(),
    kind: "failed",
  };
  return {
    generated_at: new Date(now).toISOString(),
    tiers: [
      {
        tier: "watchlist",
        enabled: true,
        status: "ok",
        reasons: watchGaps.length > 0 ? ["not running for 30 min today (ingestion was stopped)"] : [],
        interval_s: 5,
        stale_after_s: 60,
        last_tick: { tick: watchTick, status: "ok", error: null, retries: 0, http_429s: 0, run_id: "stub-run-1" },
        last_ok_tick: watchTick,
        last_live_tick: watchTick,
        last_hour: coverage(now - 3_600_000, 5, 1, []),
        today: coverage(dayStart, 5, watchGaps.length > 0 ? 0.9 : 1, watchGaps),
        recent_errors: [],
      },
      {
        tier: "catalogue",
        enabled: true,
        status: "degraded",
        reasons: ["12 ticks failed in the last hour (1 error, 11 missed while running)"],
        interval_s: 15,
        stale_after_s: 150,
        last_tick: { tick: catTick, status: "ok", error: null, retries: 1, http_429s: 1, run_id: "stub-run-2" },
        last_ok_tick: catTick,
        last_live_tick: catTick,
        last_hour: coverage(now - 3_600_000, 15, 0.9, [catGap]),
        today: coverage(dayStart, 15, 0.9, [catGap]),
        recent_errors: [
          {
            tick: new Date(now - 1_200_000).toISOString(),
            status: "error",
            error: "HTTP 429 from /markets after 3 retries",
            retries: 3,
            http_429s: 3,
            run_id: "stub-run-2",
          },
        ],
      },
    ],
  };
}

export function buildHealth(now = Date.now()) {
  const ing = buildIngestion(now);
  return {
    status: "ok",
    database: "ok",
    detail: null,
    checked_at: new Date(now).toISOString(),
    ingestion: ing.tiers.map((t) => ({
      tier: t.tier,
      enabled: t.enabled,
      status: t.status,
      reasons: t.reasons,
      last_ok_tick: t.last_ok_tick,
      age_s: (now - Date.parse(t.last_ok_tick)) / 1000,
    })),
  };
}

function listMarkets(q) {
  let rows = MARKETS;
  const search = q.get("search")?.toLowerCase();
  if (search) {
    rows = rows.filter(
      (m) => m.market_ticker.toLowerCase().includes(search) || (m.title ?? "").toLowerCase().includes(search),
    );
  }
  for (const [param, field] of [
    ["status", "status"],
    ["series", "series_ticker"],
    ["event", "event_ticker"],
  ]) {
    const v = q.get(param);
    if (v) rows = rows.filter((m) => m[field] === v);
  }
  const key = SORT_KEYS[q.get("sort") ?? "ticker"] ?? SORT_KEYS.ticker;
  const dir = q.get("order") === "desc" ? -1 : 1;
  rows = [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x < y) return -dir;
    if (x > y) return dir;
    return a.market_ticker < b.market_ticker ? -1 : 1;
  });
  const limit = Number(q.get("limit") ?? "100");
  const offset = Number(q.get("offset") ?? "0");
  return { body: rows.slice(offset, offset + limit), total: rows.length };
}

/**
 * The stub server. `state.failing` (toggled by POST /__stub/fail?on=1|0) makes every API path
 * answer 503 like the real API with its database down; `state.requests` counts requests by path.
 */
export function createStubServer() {
  const state = { failing: false, requests: new Map() };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://stub");
    const path = url.pathname;
    state.requests.set(path, (state.requests.get(path) ?? 0) + 1);
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (path === "/__stub/fail") {
      state.failing = url.searchParams.get("on") === "1";
      return send(200, { failing: state.failing });
    }
    if (state.failing) {
      if (path === "/health") {
        return send(503, {
          status: "unavailable",
          database: "unavailable",
          detail: "database unavailable (stub)",
          checked_at: new Date().toISOString(),
          ingestion: [],
        });
      }
      return send(503, { detail: "database unavailable (stub)" });
    }
    const q = url.searchParams;
    let m;
    if (path === "/health") return send(200, buildHealth());
    if (path === "/api/v1/markets") {
      const { body, total } = listMarkets(q);
      return send(200, body, { "X-Total-Count": String(total) });
    }
    if ((m = path.match(/^\/api\/v1\/markets\/([^/]+)\/history$/))) {
      const market = MARKETS.find((x) => x.market_ticker === decodeURIComponent(m[1]));
      if (!market) return send(404, { detail: `unknown market ticker '${decodeURIComponent(m[1])}'` });
      const now = Date.now();
      return send(200, buildHistory({ ...market }, now, {
        start: q.get("start") ?? undefined,
        end: q.get("end") ?? undefined,
        limit: Number(q.get("limit") ?? "500"),
      }));
    }
    if ((m = path.match(/^\/api\/v1\/markets\/([^/]+)$/))) {
      const market = MARKETS.find((x) => x.market_ticker === decodeURIComponent(m[1]));
      if (!market) return send(404, { detail: `unknown market ticker '${decodeURIComponent(m[1])}' (or no quote stored yet)` });
      const now = Date.now();
      return send(200, { ...market, timestamp: iso(Math.floor(now / 5000) * 5000) });
    }
    if (path === "/api/v1/series") return send(200, SERIES, { "X-Total-Count": String(SERIES.length) });
    if (path === "/api/v1/backtests") return send(200, BACKTESTS, { "X-Total-Count": String(BACKTESTS.length) });
    if ((m = path.match(/^\/api\/v1\/backtests\/(\d+)$/))) {
      if (Number(m[1]) === BACKTEST_DETAIL.id) return send(200, BACKTEST_DETAIL);
      return send(404, { detail: `unknown backtest id ${m[1]}` });
    }
    if (path === "/api/v1/calibration") {
      const series = q.get("series");
      const rows = series ? CALIBRATIONS.filter((c) => c.series_ticker === series) : CALIBRATIONS;
      return send(200, rows, { "X-Total-Count": String(rows.length) });
    }
    if ((m = path.match(/^\/api\/v1\/calibration\/(\d+)$/))) {
      const detail = CALIBRATION_DETAILS[Number(m[1])];
      if (detail) return send(200, detail);
      return send(404, { detail: `unknown calibration id ${m[1]}` });
    }
    if (path === "/api/v1/ingestion/status") return send(200, buildIngestion());
    return send(404, { detail: "Not Found" });
  });
  return { server, state };
}

// Run directly: `node e2e/stub-api.mjs [port]` serves the stub for manual use.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { server } = createStubServer();
  const port = Number(process.argv[2] ?? "8010");
  server.listen(port, "127.0.0.1", () => {
    process.stderr.write(`stub API on http://127.0.0.1:${port}\n`);
  });
}
