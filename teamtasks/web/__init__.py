"""The web service: FastAPI app for health, metrics and webhooks."""
