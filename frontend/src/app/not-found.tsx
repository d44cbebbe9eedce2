/** Any unknown path. */
import { Link } from "react-router";

import { EmptyState } from "@/components/states";

export function NotFound() {
  return (
    <EmptyState title="No such page">
      <Link to="/markets" className="underline">
        Go to the markets
      </Link>
    </EmptyState>
  );
}
