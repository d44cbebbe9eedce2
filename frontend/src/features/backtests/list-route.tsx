/** Route `/backtests` (`?page=N`). */
import { BacktestsPage } from "@/features/backtests/backtests-page";

export default function BacktestsRoute() {
  return <BacktestsPage />;
}
