"""The worker's Prometheus metrics (the default registry, served by the probe server)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

JOBS = Counter(
    "teamtasks_jobs_total", "Jobs run by the worker, by job and outcome.", ["job", "outcome"]
)
JOB_SECONDS = Histogram(
    "teamtasks_job_seconds",
    "Time to run one job.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0),
)
NOTIFICATIONS = Counter(
    "teamtasks_notifications_total",
    "Notifications the delivery job dealt with, by outcome.",
    ["outcome"],
)
