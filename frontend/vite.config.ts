/// <reference types="vitest/config" />
/**
 * Vite config: React + Tailwind, `@/` alias, and the same-origin `/api` + `/health` proxy for
 * both `vite` (dev) and `vite preview` (the built SPA), so the browser never needs CORS.
 * API_PROXY_TARGET points the proxy elsewhere (the browser test's stub API uses it).
 */
import { fileURLToPath, URL } from "node:url";

import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig, type ProxyOptions } from "vite";

const target = process.env.API_PROXY_TARGET ?? "http://127.0.0.1:8000";
const proxy: Record<string, ProxyOptions> = {
  "/api": { target, changeOrigin: true },
  "/health": { target, changeOrigin: true },
};

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: { proxy },
  preview: { proxy },
  build: {
    chunkSizeWarningLimit: 1000,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    // Generous: CI shares 2 cores with other work, and the first full-app render is the slowest.
    testTimeout: 30_000,
    // Error-state tests log the caught errors on purpose; show logs only for failing tests.
    silent: "passed-only",
  },
});
