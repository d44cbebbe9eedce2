/** Route `/ingestion`. */
import { IngestionPage } from "@/features/ingestion/ingestion-page";

export default function IngestionRoute() {
  return <IngestionPage />;
}
