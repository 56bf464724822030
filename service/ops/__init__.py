"""What operators see: health and metrics endpoints, queue-depth sampling, DLQ tooling."""
