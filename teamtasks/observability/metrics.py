"""Prometheus metrics shared by every process (the default registry, as the client intends)."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from functools import cache

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool, QueuePool

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
    "Payments by provider and result: created at checkout, then succeeded, canceled or refunded.",
    ["provider", "result"],
)


STARS_REFUNDS = Counter(
    "teamtasks_stars_refunds_total",
    "Stars owed back and asked of Telegram, by outcome: refunded, deferred (asked again later), "
    "refused (Telegram refused for good: an operator must return them).",
    ["outcome"],
)


def observe_stars_refund(outcome: str) -> None:
    STARS_REFUNDS.labels(outcome=outcome).inc()


def observe_webhook(provider: str, result: str) -> None:
    """Count one payment notification (`provider` must be a known name, not URL text)."""
    WEBHOOK_EVENTS.labels(provider=provider, result=result).inc()


def observe_payment(provider: str, result: str) -> None:
    """Count a payment created, or a payment's settlement (succeeded, canceled)."""
    PAYMENTS.labels(provider=provider, result=result).inc()


HTTP_REQUESTS = Counter(
    "teamtasks_http_requests_total",
    "HTTP requests to `teamtasks web`, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "teamtasks_http_request_seconds",
    "Time to answer one HTTP request, by route template.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request under its route template (/files/{key:path}), not its path."""
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_SECONDS.labels(route=route).observe(seconds)


class PoolCollector(Collector):
    """The database connection pools of this process, read when Prometheus scrapes."""

    def __init__(self) -> None:
        self._pools: weakref.WeakSet[Pool] = weakref.WeakSet()

    def watch(self, engine: AsyncEngine) -> None:
        self._pools.add(engine.sync_engine.pool)

    def collect(self) -> Iterator[Metric]:
        size = GaugeMetricFamily(
            "teamtasks_db_pool_size", "Connections the pools keep open when idle."
        )
        checked_out = GaugeMetricFamily(
            "teamtasks_db_pool_checked_out", "Connections in use by a unit of work."
        )
        overflow = GaugeMetricFamily(
            "teamtasks_db_pool_overflow", "Connections opened beyond the pools' size."
        )
        pools = [pool for pool in list(self._pools) if isinstance(pool, QueuePool)]
        size.add_metric([], sum(pool.size() for pool in pools))
        checked_out.add_metric([], sum(pool.checkedout() for pool in pools))
        overflow.add_metric([], sum(max(pool.overflow(), 0) for pool in pools))
        yield from (size, checked_out, overflow)


DATABASE_POOLS = PoolCollector()
REGISTRY.register(DATABASE_POOLS)
