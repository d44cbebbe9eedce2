/** The app shell: navigation, the API health light, and the routed page. */
import { NavLink, Outlet } from "react-router";

import { HealthIndicator } from "@/features/health/health-indicator";
import { cn } from "@/lib/cn";

const NAV = [
  { to: "/markets", label: "Markets" },
  { to: "/backtests", label: "Backtests" },
  { to: "/calibration", label: "Calibration" },
  { to: "/ingestion", label: "Ingestion" },
] as const;

export function Layout() {
  return (
    <div className="min-h-screen">
      <header className="bg-background/95 sticky top-0 z-10 border-b backdrop-blur">
        <div className="mx-auto flex h-14 max-w-[1600px] items-center gap-6 px-4">
          <span className="font-semibold tracking-tight">Kalshi workbench</span>
          <nav className="flex gap-1 text-sm" aria-label="Main">
            {NAV.map((item) => (
              <NavLink
                key={item.to}
                to={item.to}
                className={({ isActive }) =>
                  cn(
                    "rounded-md px-3 py-1.5 transition-colors",
                    isActive
                      ? "bg-secondary text-foreground font-medium"
                      : "text-muted-foreground hover:text-foreground",
                  )
                }
              >
                {item.label}
              </NavLink>
            ))}
          </nav>
          <div className="ml-auto">
            <HealthIndicator />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-[1600px] px-4 py-6">
        <Outlet />
      </main>
    </div>
  );
}
