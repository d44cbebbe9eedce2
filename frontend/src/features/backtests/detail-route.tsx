/** Route `/backtests/:id`. */
import { useParams } from "react-router";

import { BacktestPage } from "@/features/backtests/backtest-page";

export default function BacktestRoute() {
  const { id = "" } = useParams();
  const n = /^[1-9][0-9]{0,15}$/.test(id) ? Number(id) : null;
  return <BacktestPage key={id} id={n} />;
}
