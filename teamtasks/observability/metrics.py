"""Prometheus metrics shared by every process (the default registry, as the client intends)."""

from __future__ import annotations

from functools import cache

from prometheus_client import Counter, Histogram

UPDATES = Counter(
    "teamtasks_updates_total",
    "Telegram updates handled, by handler and outcome.",
    ["handler", "outcome"],
)
UPDATE_SECONDS = Histogram(
    "teamtasks_update_seconds",
    "Time to handle one Telegram update, unit of work included.",
    ["handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_update(handler: str, outcome: str, seconds: float) -> None:
    """Count one handled update and its duration."""
    _updates(handler, outcome).inc()
    _update_seconds(handler).observe(seconds)


# A label set's child is looked up under a lock on every `.labels()`: kept once found instead
# (a few dozen handlers times five outcomes).
@cache
def _updates(handler: str, outcome: str) -> Counter:
    return UPDATES.labels(handler=handler, outcome=outcome)


@cache
def _update_seconds(handler: str) -> Histogram:
    return UPDATE_SECONDS.labels(handler=handler)


WEBHOOK_EVENTS = Counter(
    "teamtasks_payment_webhooks_total",
    "Payment provider notifications, by provider and result (applied, duplicate, ignored, "
    "or the HTTP status of a refusal).",
    ["provider", "result"],
)
PAYMENTS = Counter(
    "teamtasks_payments_total",
    "Payments by provider and result: created at checkout, then succeeded or canceled.",
    ["provider", "result"],
)


def observe_webhook(provider: str, result: str) -> None:
    """Count one payment notification (`provider` must be a known name, not URL text)."""
    WEBHOOK_EVENTS.labels(provider=provider, result=result).inc()


def observe_payment(provider: str, result: str) -> None:
    """Count a payment created, or a payment's settlement (succeeded, canceled)."""
    PAYMENTS.labels(provider=provider, result=result).inc()
