/** Vitest setup: jest-dom matchers, DOM cleanup and restored stubs after every test. */
import "@testing-library/jest-dom/vitest";

import { cleanup, configure } from "@testing-library/react";
import { afterEach, vi } from "vitest";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

// Recharts' ResponsiveContainer measures its parent; jsdom has no layout, so give it a size.
class ResizeObserverStub {
  private readonly cb: ResizeObserverCallback;
  constructor(cb: ResizeObserverCallback) {
    this.cb = cb;
  }
  observe(target: Element): void {
    const entry = { target, contentRect: { width: 800, height: 300 } } as unknown as ResizeObserverEntry;
    this.cb([entry], this);
  }
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver = ResizeObserverStub;

// The first render of the whole app in jsdom can take more than the default 1 s on a busy CI box.
configure({ asyncUtilTimeout: 10_000 });
