"""Logging, metrics and the small health/metrics server of the non-web processes."""
