/** Placeholder for the whole page while the app's first route module loads. */
import { Skeleton } from "@/components/ui/skeleton";

export function PageSkeleton() {
  return (
    <div className="mx-auto max-w-[1600px] space-y-4 px-4 py-6" aria-busy="true">
      <Skeleton className="h-8 w-48" />
      <Skeleton className="h-96 w-full" />
    </div>
  );
}
