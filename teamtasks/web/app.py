"""`teamtasks web`: the FastAPI application and its lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from redis.exceptions import RedisError

from teamtasks import __version__
from teamtasks.bot.factory import create_bot, create_dispatcher
from teamtasks.config import ConfigError, Settings
from teamtasks.db import SessionFactory, create_engine, create_session_factory, probe
from teamtasks.observability.metrics import DATABASE_POOLS, observe_request
from teamtasks.storage import ObjectStorage, open_storage
from teamtasks.web.routes import files, health, payments, telegram
from teamtasks.web.state import AppState, TelegramWebhook
from teamtasks.worker.process import open_job_broker

log = structlog.stdlib.get_logger("teamtasks.web")

WEBHOOK_PATH = "/telegram/webhook"


def create_app(settings: Settings) -> FastAPI:
    """The app; its lifespan opens the database, the file store (for the bot, /files and
    /readyz) and, with BOT_TOKEN set, the Telegram webhook."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        await probe(engine)
        session_factory = create_session_factory(engine)
        DATABASE_POOLS.watch(engine)
        opened = AsyncExitStack()
        files_store = await opened.enter_async_context(open_storage(settings))
        if settings.redis_url or settings.bot_token:
            await _open_job_broker(opened, settings, session_factory)
        webhook = _telegram_webhook(settings, session_factory, files_store)
        app.state.teamtasks = AppState(settings, engine, session_factory, webhook, files_store)
        try:
            if webhook is not None:
                await webhook.dispatcher.emit_startup(bot=webhook.bot)
            if webhook is not None and settings.webhook_base_url:
                await webhook.bot.set_webhook(
                    url=settings.webhook_base_url + WEBHOOK_PATH,
                    secret_token=webhook.secret,
                    allowed_updates=webhook.dispatcher.resolve_used_update_types(),
                )
                log.info("webhook_registered", url=settings.webhook_base_url + WEBHOOK_PATH)
            yield
        finally:
            if webhook is not None:
                await webhook.bot.session.close()
            await opened.aclose()
            await engine.dispose()

    app = FastAPI(title="teamtasks", version=__version__, lifespan=lifespan)
    app.middleware("http")(_observe_request)
    app.include_router(health.router)
    app.include_router(telegram.router)
    app.include_router(files.router)
    app.include_router(payments.router)
    return app


async def _observe_request(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    template = route.path if isinstance(route, APIRoute) else "unmatched"
    observe_request(request.method, template, response.status_code, time.perf_counter() - started)
    return response


async def _open_job_broker(
    opened: AsyncExitStack, settings: Settings, session_factory: SessionFactory
) -> None:
    """Notifications written here (payments, webhook updates) are kicked to the worker through
    Redis; without Redis they are delivered by this process.

    A broker that cannot start does not stop the web: the rows are in the database, the
    scheduler's sweep delivers them, and /readyz names Redis until it is back.
    """
    try:
        await opened.enter_async_context(open_job_broker(settings, session_factory))
    except (OSError, RedisError) as exc:
        log.error("job_broker_unavailable", error=str(exc))


def _telegram_webhook(
    settings: Settings, session_factory: SessionFactory, files_store: ObjectStorage
) -> TelegramWebhook | None:
    secret = webhook_secret(settings)
    if secret is None:
        return None
    bot = create_bot(settings)
    dispatcher = create_dispatcher(settings, session_factory, files_store=files_store)
    return TelegramWebhook(bot, dispatcher, secret)


def webhook_secret(settings: Settings) -> str | None:
    """The webhook's secret when this instance serves the bot (BOT_TOKEN set), else None."""
    if settings.bot_token is None:
        return None
    if settings.webhook_secret is None:
        raise ConfigError("WEBHOOK_SECRET is not set: without it anyone could post updates")
    return settings.webhook_secret.get_secret_value()
