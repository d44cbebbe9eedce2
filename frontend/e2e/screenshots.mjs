// Screenshots of the markets page and the busiest market's page for the docs, taken from a
// running SPA (default http://127.0.0.1:5173, i.e. `make dev`) against the live API. The committed
// copies were then reduced to a 128-colour palette (Pillow) to keep the repository small:
//   node e2e/screenshots.mjs [base-url] [out-dir]
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const base = process.argv[2] ?? "http://127.0.0.1:5173";
const out = process.argv[3] ?? fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(20_000);
  await page.goto(`${base}/markets?sort=volume_24h&order=desc`);
  await page.getByTestId("market-row").first().waitFor();
  await page.screenshot({ path: `${out}spa-markets.png` });
  const ticker = await page.getByTestId("market-row").first().locator("td").first().innerText();
  await page.goto(`${base}/markets/${encodeURIComponent(ticker)}?range=1h`);
  await page.locator('[data-testid="price-chart"] .recharts-line-curve').first().waitFor();
  await page.screenshot({ path: `${out}spa-market.png`, fullPage: true });
  process.stdout.write(`wrote ${out}spa-markets.png and ${out}spa-market.png (${ticker})\n`);
} finally {
  await browser.close();
}
