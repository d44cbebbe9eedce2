"""Analysis assets: calibration (reliability) of trade prints per series, on demand."""
