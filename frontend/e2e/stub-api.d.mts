// Types of stub-api.mjs for the TypeScript tests that import it.
import type { Server } from "node:http";

export declare const MARKETS: unknown[];
export declare const SERIES: unknown[];
export declare const BACKTESTS: unknown[];
export declare const BACKTEST_DETAIL: unknown;
export declare const CALIBRATIONS: unknown[];
export declare const CALIBRATION_DETAILS: Record<number, unknown>;
export declare function buildHistory(
  market: unknown,
  now?: number,
  opts?: { start?: string; end?: string; limit?: number },
): unknown[];
export declare function buildIngestion(now?: number): unknown;
export declare function buildHealth(now?: number): unknown;
export declare function createStubServer(): {
  server: Server;
  state: { failing: boolean; requests: Map<string, number> };
};
