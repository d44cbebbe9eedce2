/** Route `/markets/:ticker` (`?range=1h|6h|24h|all`). */
import { useParams } from "react-router";

import { MarketPage } from "@/features/market-detail/market-page";

export default function MarketRoute() {
  const { ticker = "" } = useParams();
  return <MarketPage key={ticker} ticker={ticker} />;
}
