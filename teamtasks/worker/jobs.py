"""Every job, registered on a broker under its name with the worker's context.

A job receives ids (never ORM objects), runs its own units of work, and is idempotent: a double
scheduler, a retry or a restart never does anything twice. Each run is logged with what it did
and counted; a failure is logged here and the job's message acknowledged (the next scheduled
run, or the lease of a notification, takes it up again).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from taskiq import AsyncBroker

from teamtasks.worker import billing_notifier, delivery, maintenance, reminders
from teamtasks.worker.broker import (
    BILLING,
    DELIVER,
    DELIVER_DUE,
    PRUNE,
    RECONCILE_PAYMENTS,
    REFUND_STARS,
    REMINDERS,
    SWEEP_FILES,
)
from teamtasks.worker.context import WorkerContext
from teamtasks.worker.metrics import JOB_SECONDS, JOBS, NOTIFICATIONS

log = structlog.stdlib.get_logger("teamtasks.worker")


def register(broker: AsyncBroker, ctx: WorkerContext) -> None:
    async def deliver(ids: list[int]) -> None:
        await _run(DELIVER, lambda: _delivered(delivery.deliver(ctx, ids=ids)))

    async def deliver_due() -> None:
        await _run(DELIVER_DUE, lambda: _delivered(delivery.deliver(ctx)))

    async def billing() -> None:
        await _run(BILLING, lambda: billing_notifier.run(ctx))

    async def remind() -> None:
        await _run(REMINDERS, lambda: reminders.run(ctx))

    async def sweep_files() -> None:
        await _run(SWEEP_FILES, lambda: maintenance.sweep_files(ctx))

    async def reconcile_payments() -> None:
        await _run(RECONCILE_PAYMENTS, lambda: maintenance.reconcile_payments(ctx))

    async def refund_stars() -> None:
        await _run(REFUND_STARS, lambda: maintenance.refund_owed(ctx))

    async def prune() -> None:
        await _run(PRUNE, lambda: maintenance.prune(ctx))

    for name, job in (
        (DELIVER, deliver),
        (DELIVER_DUE, deliver_due),
        (BILLING, billing),
        (REMINDERS, remind),
        (SWEEP_FILES, sweep_files),
        (RECONCILE_PAYMENTS, reconcile_payments),
        (REFUND_STARS, refund_stars),
        (PRUNE, prune),
    ):
        broker.register_task(job, task_name=name)


async def _delivered(work: Awaitable[delivery.Report]) -> delivery.Report:
    report = await work
    for outcome, count in dataclasses.asdict(report).items():
        if count:
            NOTIFICATIONS.labels(outcome=outcome).inc(count)
    return report


async def _run(name: str, work: Callable[[], Awaitable[Any]]) -> None:
    started = time.perf_counter()
    try:
        result = await work()
    except Exception:
        JOBS.labels(job=name, outcome="error").inc()
        log.exception("job_failed", job=name)
        return
    finally:
        JOB_SECONDS.labels(job=name).observe(time.perf_counter() - started)
    JOBS.labels(job=name, outcome="ok").inc()
    details = (
        dataclasses.asdict(result)
        if dataclasses.is_dataclass(result) and not isinstance(result, type)
        else {}
    )
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    log.info("job_done", job=name, duration_ms=elapsed, **details)
