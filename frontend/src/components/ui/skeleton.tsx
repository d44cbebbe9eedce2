// Vendored shadcn/ui primitive (new-york-v4 style), reproduced from its published source because
// the shadcn CLI registry is unreachable from this machine. Do not hand-edit: regenerate with
// `npx shadcn@latest add <name>` (see frontend/components.json) when the registry is reachable.
import { cn } from "@/lib/cn"

function Skeleton({ className, ...props }: React.ComponentProps<"div">) {
  return (
    <div
      data-slot="skeleton"
      className={cn("bg-accent animate-pulse rounded-md", className)}
      {...props}
    />
  )
}

export { Skeleton }
