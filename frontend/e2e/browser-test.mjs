// Browser test of the built SPA: `vite preview` serves dist/ with its /api proxy pointed at the
// stub API (stub-api.mjs), and Debian's Chromium (driven by playwright-core) checks what a user
// sees: the markets table, search, sorting, a market's chart, the error state and its retry,
// backtests, calibration and ingestion. Needs `npm run build` first. Exits non-zero on any failure.
//
//   node e2e/browser-test.mjs            (CHROMIUM=/path/to/chromium to override)
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { MARKETS, createStubServer } from "./stub-api.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const TIMEOUT = 15_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, deadlineMs) {
  const until = Date.now() + deadlineMs;
  let last;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = new Error(`HTTP ${r.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${deadlineMs} ms: ${last}`);
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const results = [];
async function check(name, page, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    process.stdout.write(`ok   ${name} (${Date.now() - started} ms)\n`);
  } catch (err) {
    results.push({ name, ok: false });
    process.stdout.write(`FAIL ${name}: ${err instanceof Error ? err.message : err}\n`);
    const file = `${ARTIFACTS}${name.replace(/[^a-z0-9]+/gi, "-")}.png`;
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    process.stdout.write(`     screenshot: ${file}\n`);
  }
}

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { server: stub, state } = createStubServer();
  await new Promise((r) => stub.listen(0, "127.0.0.1", r));
  const stubUrl = `http://127.0.0.1:${stub.address().port}`;
  const setFailing = (on) => fetch(`${stubUrl}/__stub/fail?on=${on ? 1 : 0}`, { method: "POST" });

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const preview = spawn(
    process.execPath,
    [fileURLToPath(new URL("../node_modules/vite/bin/vite.js", import.meta.url)), "preview",
      "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
    { cwd: ROOT, env: { ...process.env, API_PROXY_TARGET: stubUrl }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let previewLog = "";
  preview.stdout.on("data", (d) => (previewLog += d));
  preview.stderr.on("data", (d) => (previewLog += d));

  let browser;
  try {
    await waitForHttp(`${base}/`, 20_000);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: "America/New_York" });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const consoleErrors = [];
    page.on("pageerror", (err) => consoleErrors.push(String(err)));
    const rows = page.getByTestId("market-row");

    await check("markets table renders rows", page, async () => {
      await page.goto(`${base}/`);
      await page.waitForURL(/\/markets$/);
      await rows.first().waitFor();
      assert((await rows.count()) === MARKETS.length, `expected ${MARKETS.length} rows, got ${await rows.count()}`);
      const count = await page.getByTestId("markets-count").innerText();
      assert(count.includes(`of ${MARKETS.length} markets`), `pagination text: ${count}`);
      const nfl = page.getByTestId("market-row").filter({ hasText: "KXNFLGAME-26NOV301200CHISF-SF" });
      const text = await nfl.innerText();
      for (const want of ["44¢", "47¢", "45.5¢", "11,051,673", "9,643,635", "active"]) {
        assert(text.includes(want), `row lacks ${want}: ${text}`);
      }
      await page.getByTestId("health-indicator").and(page.locator('[data-light="ok"]')).waitFor();
    });

    await check("auto-refresh refetches without a loading flicker", page, async () => {
      await page.evaluate(() => {
        window.__sawLoading = false;
        new MutationObserver(() => {
          if (document.querySelector('[data-testid="loading"]')) window.__sawLoading = true;
        }).observe(document.body, { subtree: true, childList: true });
      });
      const before = state.requests.get("/api/v1/markets") ?? 0;
      await page.waitForTimeout(5_600);
      const after = state.requests.get("/api/v1/markets") ?? 0;
      assert(after > before, `no refetch in 5.6 s (${before} -> ${after})`);
      assert(!(await page.evaluate(() => window.__sawLoading)), "skeleton shown during a background refresh");
      assert((await rows.count()) === MARKETS.length, "rows changed during refresh");
    });

    await check("search filters the table and lands in the URL", page, async () => {
      await page.getByLabel("Search markets").fill("bitcoin");
      await page.waitForURL(/search=bitcoin/);
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid="market-row"]').length === 2,
      );
      const tickers = await rows.locator("td:first-child").allInnerTexts();
      assert(tickers.every((t) => t.startsWith("KXBTC-")), `unexpected rows: ${tickers}`);
      assert(!(await page.evaluate(() => window.__sawLoading)), "table blanked to a skeleton while searching");
      // A shared URL reproduces the view.
      await page.goto(`${base}/markets?search=nfl`);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="market-row"]').length === 2);
      assert((await page.getByLabel("Search markets").inputValue()) === "nfl", "search box shows the URL's search");
      await page.goto(`${base}/markets?search=zzzz-no-such`);
      await page.getByTestId("empty-state").getByText("No markets match these filters").waitFor();
    });

    await check("status filter and sortable column", page, async () => {
      await page.goto(`${base}/markets`);
      await rows.first().waitFor();
      await page.getByLabel("Status").selectOption("closed");
      await page.waitForURL(/status=closed/);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="market-row"]').length === 1);
      await page.goto(`${base}/markets`);
      await rows.first().waitFor();
      await page.getByRole("button", { name: "24h vol" }).click();
      await page.waitForURL(/sort=volume_24h&order=desc/);
      await page.waitForFunction(
        () => document.querySelector('[data-testid="market-row"] td')?.textContent === "KXNFLGAME-26NOV301200CHISF-SF",
      );
    });

    await check("a market shows its quote and price chart", page, async () => {
      await page.goto(`${base}/markets`);
      await page.getByRole("link", { name: "KXHIGHNY-26NOV27-B45.5" }).click();
      await page.waitForURL(/\/markets\/KXHIGHNY-26NOV27-B45\.5$/);
      const quote = page.getByTestId("quote-panel");
      await quote.waitFor();
      const text = await quote.innerText();
      for (const want of ["45.5¢", "47¢", "46.25¢", "1.5¢", "166 contracts"]) {
        assert(text.includes(want), `quote panel lacks ${want}: ${text}`);
      }
      await page.locator('[data-testid="price-chart"] .recharts-line-curve').first().waitFor();
      const lines = await page.locator('[data-testid="price-chart"] .recharts-line-curve').count();
      assert(lines === 3, `expected bid/ask/mid lines, got ${lines}`);
      await page.locator('[data-testid="price-chart"] .recharts-bar-rectangle').first().waitFor();
      await page.getByRole("tab", { name: "1h" }).click();
      await page.waitForURL(/range=1h/);
      // 1h of five-minute stub points: 12 or 13 depending on where "now" falls.
      await page.getByText(/^1[23] stored snapshots/).waitFor();
      await page.locator('[data-testid="price-chart"] .recharts-line-curve').first().waitFor();
      await page.screenshot({ path: `${ARTIFACTS}market.png` });
      // Deep link straight to a dotted ticker (the preview server must serve the SPA for it).
      await page.goto(`${base}/markets/KXFED-26DEC-T4.25?range=all`);
      await page.getByTestId("quote-panel").waitFor();
      // The event link lists the event's sibling markets.
      await page.goto(`${base}/markets/KXNFLGAME-26NOV301200CHISF-SF`);
      await page.getByRole("link", { name: "event KXNFLGAME-26NOV301200CHISF" }).click();
      await page.waitForURL(/\/markets\?event=KXNFLGAME-26NOV301200CHISF$/);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="market-row"]').length === 2);
      const unknown = await page.goto(`${base}/markets/NO-SUCH-MARKET`);
      assert(unknown?.ok(), "SPA fallback for an unknown ticker");
      await page.getByTestId("error-state").getByText("Not found").first().waitFor();
    });

    await check("an API error shows the error state, and Retry recovers", page, async () => {
      await setFailing(true);
      await page.goto(`${base}/markets`);
      const error = page.getByTestId("error-state");
      await error.waitFor({ timeout: 20_000 });
      const text = await error.innerText();
      assert(/unavailable/i.test(text) && text.includes("database unavailable (stub)"), `error text: ${text}`);
      await page.getByTestId("health-indicator").and(page.locator('[data-light="bad"]')).waitFor();
      await setFailing(false);
      await error.getByRole("button", { name: "Retry" }).click();
      await rows.first().waitFor();
      assert((await rows.count()) === MARKETS.length, "rows after retry");
    });

    await check("an outage clears by itself when the API comes back", page, async () => {
      await setFailing(true);
      await page.goto(`${base}/ingestion`);
      await page.getByTestId("error-state").getByText(/Retrying by itself/).waitFor({ timeout: 20_000 });
      await setFailing(false);
      // No click: the error state retries every 10 s.
      await page.getByTestId("tier-watchlist").waitFor({ timeout: 15_000 });
    });

    await check("backtests list and detail", page, async () => {
      await page.goto(`${base}/backtests`);
      await page.getByTestId("backtest-row").first().waitFor();
      assert((await page.getByTestId("backtest-row").count()) === 2, "two backtest rows");
      await page.getByRole("link", { name: "#7" }).click();
      await page.waitForURL(/\/backtests\/7$/);
      const metrics = await page.getByTestId("metrics").innerText();
      for (const want of ["+$12.34", "1.42", "$3.21", "58.0%"]) {
        assert(metrics.includes(want), `metrics lack ${want}: ${metrics}`);
      }
      await page.locator('[data-testid="equity-chart"] .recharts-area-curve').first().waitFor();
      assert((await page.getByTestId("trades-table").locator("tbody tr").count()) === 3, "three trades");
      assert((await page.getByTestId("params").innerText()).includes('"entry_z": 2'), "params shown");
      await page.goto(`${base}/backtests/999`);
      await page.getByTestId("error-state").getByText("unknown backtest id 999").waitFor();
    });

    await check("calibration shows bands, the diagram and switches analyses", page, async () => {
      await page.goto(`${base}/calibration`);
      await page.getByTestId("band-row").first().waitFor();
      assert((await page.getByTestId("band-row").count()) === 10, "ten price bands");
      const metrics = await page.getByTestId("calibration-metrics").innerText();
      assert(metrics.includes("0.1062") && metrics.includes("27,529"), `metrics: ${metrics}`);
      const chart = page.getByTestId("reliability-chart");
      await chart.locator(".recharts-scatter-symbol").first().waitFor();
      assert((await chart.locator(".recharts-scatter-symbol").count()) === 10, "a point per band");
      assert((await chart.locator(".recharts-reference-line").count()) === 1, "the diagonal");
      await page.getByTestId("analysis-select").selectOption("2");
      await page.waitForURL(/\/calibration\?id=2$/);
      await page.getByTestId("calibration-analysis").getByText(/KXBTCD/).first().waitFor();
      await page.goto(`${base}/calibration?id=999`);
      await page.getByTestId("error-state").getByText("unknown calibration id 999").waitFor();
    });

    await check("ingestion shows each tier's health", page, async () => {
      await page.goto(`${base}/ingestion`);
      await page.getByTestId("tier-watchlist").waitFor();
      assert(
        (await page.getByTestId("tier-watchlist").locator("[data-level]").getAttribute("data-level")) === "ok",
        "watchlist green",
      );
      const catalogue = page.getByTestId("tier-catalogue");
      assert((await catalogue.locator("[data-level]").getAttribute("data-level")) === "warn", "catalogue amber");
      assert((await catalogue.innerText()).includes("HTTP 429 from /markets"), "recent error listed");
    });

    await check("no uncaught page errors", page, async () => {
      assert(consoleErrors.length === 0, consoleErrors.join("\n"));
    });
  } catch (err) {
    results.push({ name: "setup", ok: false });
    process.stdout.write(`FAIL setup: ${err instanceof Error ? err.stack : err}\n${previewLog}\n`);
  } finally {
    await browser?.close().catch(() => {});
    preview.kill("SIGTERM");
    stub.close();
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  process.stdout.write(`browser: ${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

await main();
