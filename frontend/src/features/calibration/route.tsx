/** Route `/calibration` (`?id=N` selects a stored analysis; default: the newest). */
import { CalibrationPage } from "@/features/calibration/calibration-page";

export default function CalibrationRoute() {
  return <CalibrationPage />;
}
