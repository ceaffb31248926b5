"""The job broker, and the names of the jobs every process may kick.

With REDIS_URL set, jobs travel through a Redis stream read by a consumer group: a message is
acknowledged once its job has run, and one left unacknowledged by a worker that died is claimed
by another after IDLE_TIMEOUT. Without it (`teamtasks demo`, the tests), the in-memory broker
runs each job in the kicking process, awaited in place.
"""

from __future__ import annotations

from taskiq import AsyncBroker, InMemoryBroker
from taskiq_redis import RedisStreamBroker

from teamtasks.config import Settings

DELIVER = "teamtasks.deliver"
"""Deliver these notification ids now (kicked after the commit that wrote them)."""
DELIVER_DUE = "teamtasks.deliver_due"
"""Deliver every notification that is due (the scheduled sweep)."""
BILLING = "teamtasks.billing"
REMINDERS = "teamtasks.reminders"
SWEEP_FILES = "teamtasks.sweep_files"
RECONCILE_PAYMENTS = "teamtasks.reconcile_payments"
REFUND_STARS = "teamtasks.refund_stars"
"""Ask Telegram again for the Stars refunds owed that are due."""
PRUNE = "teamtasks.prune"
"""Delete records nothing needs any more (handled updates past their redelivery)."""

CONSUMER_GROUP = "teamtasks-workers"
IDLE_TIMEOUT_MS = 5 * 60 * 1000
STREAM_MAXLEN = 100_000


def create_broker(settings: Settings) -> AsyncBroker:
    """A Redis stream broker when REDIS_URL is set, else an in-memory one."""
    if settings.redis_url is None:
        return InMemoryBroker(await_inplace=True)
    return RedisStreamBroker(
        settings.redis_url,
        queue_name=settings.job_queue,
        consumer_group_name=CONSUMER_GROUP,
        # A group made after jobs were kicked still reads them: from the stream's start.
        consumer_id="0",
        idle_timeout=IDLE_TIMEOUT_MS,
        # The claim of a dead worker's messages is locked; the lock must not outlive it.
        unacknowledged_lock_timeout=30.0,
        maxlen=STREAM_MAXLEN,
    )
