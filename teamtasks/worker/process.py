"""The `worker` and `scheduler` processes, and the job broker of every other process.

`teamtasks worker` reads jobs from the Redis stream (N replicas share it, and the rate limits
through Redis); `teamtasks scheduler` kicks the scheduled ones (a second scheduler is harmless:
every job is idempotent). Both log JSON, serve /healthz and /metrics on their own port and stop
cleanly on SIGTERM: the worker takes no new job, lets the running ones finish the message in
hand and hand back the rest, then exits.

`open_job_broker` gives the bot, web and demo processes their broker: Redis when REDIS_URL is
set (the worker runs the jobs), otherwise in memory with the jobs run right here.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Iterator

import structlog
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from redis.asyncio import Redis
from taskiq import AsyncBroker, InMemoryBroker, TaskiqScheduler
from taskiq.acks import AcknowledgeType
from taskiq.cli.scheduler.run import SchedulerLoop
from taskiq.receiver import Receiver

from teamtasks.bot import outbox
from teamtasks.config import ConfigError, Settings
from teamtasks.db import SessionFactory, create_engine, create_session_factory, probe
from teamtasks.models.base import utcnow
from teamtasks.observability.probe_server import ProbeServer
from teamtasks.worker import jobs
from teamtasks.worker.broker import create_broker
from teamtasks.worker.context import Clock, WorkerContext
from teamtasks.worker.limiter import Limits, MemoryBuckets, RateLimiter, RedisBuckets
from teamtasks.worker.schedule import SettingsSchedule

log = structlog.stdlib.get_logger("teamtasks.worker")


def delivery_bot(settings: Settings) -> Bot:
    """The bot that sends notifications: no retry of its own on 429 (the limiter waits)."""
    session = AiohttpSession()
    if settings.telegram_api_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        token=settings.require_bot_token(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def limits_of(settings: Settings) -> Limits:
    return Limits.of(
        settings.delivery_messages_per_second,
        settings.delivery_chat_messages_per_second,
        settings.delivery_group_messages_per_minute,
    )


@contextlib.asynccontextmanager
async def worker_context(
    settings: Settings, factory: SessionFactory, *, clock: Clock = utcnow, bot: Bot | None = None
) -> AsyncIterator[WorkerContext]:
    """The jobs' context; the rate limits in Redis when REDIS_URL is set, else in memory.

    Notifications go through `bot` when given (the demo's), else through a bot of their own.
    """
    sender = bot or delivery_bot(settings)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    buckets = RedisBuckets(redis, f"{settings.job_queue}:rate:") if redis else MemoryBuckets()
    limiter = RateLimiter(buckets, limits_of(settings))
    try:
        yield WorkerContext(settings, factory, sender, limiter, clock)
    finally:
        if bot is None:
            await sender.session.close()
        if redis is not None:
            await redis.aclose()


def _require_redis(settings: Settings, command: str) -> None:
    if settings.redis_url is None:
        raise ConfigError(
            f"REDIS_URL is not set: `teamtasks {command}` shares its jobs through Redis "
            "(`teamtasks demo` runs the worker and the scheduler in its own process)"
        )


@contextlib.contextmanager
def _stop_on_signals(*events: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _set_all, events)
    try:
        yield
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _set_all(events: tuple[asyncio.Event, ...]) -> None:
    for event in events:
        event.set()


async def run_worker(settings: Settings) -> None:
    """`teamtasks worker`: run jobs from the Redis stream until SIGINT/SIGTERM."""
    _require_redis(settings, "worker")
    settings.require_bot_token()
    engine = create_engine(settings)
    probe_server = ProbeServer(settings.health_host, settings.worker_health_port)
    broker = create_broker(settings)
    try:
        await probe(engine)
        async with worker_context(settings, create_session_factory(engine)) as ctx:
            jobs.register(broker, ctx)
            finish = asyncio.Event()
            with _stop_on_signals(finish, ctx.stopping):
                await broker.startup()
                await probe_server.start()
                log.info("worker_starting", health_port=probe_server.port, queue=settings.job_queue)
                broker.is_worker_process = True
                receiver = Receiver(
                    broker,
                    run_startup=False,
                    max_async_tasks=settings.worker_concurrency,
                    ack_type=AcknowledgeType.WHEN_EXECUTED,
                )
                await receiver.listen(finish)
    finally:
        await broker.shutdown()
        await probe_server.stop()
        await engine.dispose()
        log.info("worker_stopped")


async def run_scheduler(settings: Settings) -> None:
    """`teamtasks scheduler`: kick the scheduled jobs (cron from settings) until SIGINT/SIGTERM."""
    _require_redis(settings, "scheduler")
    broker = create_broker(settings)
    broker.is_scheduler_process = True
    scheduler = TaskiqScheduler(broker, [SettingsSchedule(settings)])
    probe_server = ProbeServer(settings.health_host, settings.scheduler_health_port)
    stop = asyncio.Event()
    try:
        await scheduler.startup()
        await probe_server.start()
        log.info("scheduler_starting", health_port=probe_server.port, queue=settings.job_queue)
        with _stop_on_signals(stop):
            ticking = asyncio.create_task(SchedulerLoop(scheduler).run())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({ticking, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in (ticking, stopping):
                task.cancel()
            await asyncio.gather(ticking, stopping, return_exceptions=True)
    finally:
        await scheduler.shutdown()
        await probe_server.stop()
        log.info("scheduler_stopped")


@contextlib.asynccontextmanager
async def open_job_broker(
    settings: Settings,
    factory: SessionFactory,
    *,
    schedule: bool = False,
    clock: Clock = utcnow,
    bot: Bot | None = None,
) -> AsyncIterator[AsyncBroker]:
    """This process's job broker, connected so that its outbox kicks go there.

    Without REDIS_URL the jobs run in this process (the in-memory broker), and with `schedule`
    the scheduler ticks here too (`demo`). On exit, running jobs hand back what they hold.
    """
    broker = create_broker(settings)
    async with contextlib.AsyncExitStack() as stack:
        stopping: asyncio.Event | None = None
        if isinstance(broker, InMemoryBroker):
            ctx = await stack.enter_async_context(
                worker_context(settings, factory, clock=clock, bot=bot)
            )
            jobs.register(broker, ctx)
            stopping = ctx.stopping
        await broker.startup()
        stack.push_async_callback(broker.shutdown)
        stack.push_async_callback(outbox.drain)
        outbox.connect(broker)
        stack.callback(outbox.connect, None)
        if stopping is not None:
            stack.callback(stopping.set)
        if schedule:
            scheduler = TaskiqScheduler(broker, [SettingsSchedule(settings)])
            ticking = asyncio.create_task(SchedulerLoop(scheduler).run())
            stack.push_async_callback(_cancel, ticking)
        yield broker


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
