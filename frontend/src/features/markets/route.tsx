/** Route `/markets`. */
import { MarketsPage } from "@/features/markets/markets-page";

export default function MarketsRoute() {
  return <MarketsPage />;
}
