/** Prev / Next links of a paged list; a missing target renders a disabled button. */
import { ChevronLeft, ChevronRight } from "lucide-react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";

export function Pager({ prev, next }: { prev: string | null; next: string | null }) {
  return (
    <div className="flex gap-2">
      {prev !== null ? (
        <Button asChild variant="outline" size="sm">
          <Link to={prev} aria-label="Previous page">
            <ChevronLeft aria-hidden /> Prev
          </Link>
        </Button>
      ) : (
        <Button variant="outline" size="sm" disabled>
          <ChevronLeft aria-hidden /> Prev
        </Button>
      )}
      {next !== null ? (
        <Button asChild variant="outline" size="sm">
          <Link to={next} aria-label="Next page">
            Next <ChevronRight aria-hidden />
          </Link>
        </Button>
      ) : (
        <Button variant="outline" size="sm" disabled>
          Next <ChevronRight aria-hidden />
        </Button>
      )}
    </div>
  );
}
