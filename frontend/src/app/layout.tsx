/** The app shell: the menu (the route list's `nav` entries), the API health light, the page. */
import { NavLink, Outlet } from "react-router";

import { pages } from "@/app/routes";
import { HealthIndicator } from "@/features/health/health-indicator";
import { cn } from "@/lib/cn";

const menu = pages.flatMap((page) => (page.nav ? [{ ...page.nav, page }] : []));

export function Layout() {
  return (
    <div className="min-h-screen">
      <header className="bg-background/95 sticky top-0 z-10 border-b backdrop-blur">
        <div className="mx-auto flex h-14 max-w-[1600px] items-center gap-6 px-4">
          <span className="font-semibold tracking-tight">Kalshi workbench</span>
          <nav className="flex gap-1 text-sm" aria-label="Main">
            {menu.map(({ label, icon: Icon, page }) => (
              <NavLink
                key={page.path}
                to={`/${page.path}`}
                // Fetch the page's module as soon as the pointer or focus shows the intent.
                onPointerEnter={page.preload}
                onFocus={page.preload}
                className={({ isActive }) =>
                  cn(
                    "inline-flex items-center gap-1.5 rounded-md px-3 py-1.5 transition-colors",
                    isActive
                      ? "bg-secondary text-foreground font-medium"
                      : "text-muted-foreground hover:text-foreground",
                  )
                }
              >
                <Icon className="size-4" aria-hidden />
                {label}
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
