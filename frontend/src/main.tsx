/** The SPA's single entry point: query client, router, styles. */
import "@/index.css";

import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";

import { makeQueryClient } from "@/app/query-client";
import { makeRouter } from "@/app/router";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

const queryClient = makeQueryClient();
const router = makeRouter();

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
