"""Builds the Bot and the Dispatcher with every router and middleware in place."""

from __future__ import annotations

from contextlib import AsyncExitStack

import structlog
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage

from teamtasks.billing.registry import create_registry
from teamtasks.bot.handlers import routers
from teamtasks.bot.handlers.team.commands import set_commands
from teamtasks.bot.middlewares.current_user import CurrentUserMiddleware
from teamtasks.bot.middlewares.group_chat import GroupChatMiddleware
from teamtasks.bot.middlewares.handler_name import HandlerNameMiddleware
from teamtasks.bot.middlewares.unit_of_work import UnitOfWorkMiddleware
from teamtasks.bot.retry import RetryAfterMiddleware
from teamtasks.config import Settings
from teamtasks.db import SessionFactory
from teamtasks.i18n import language_from_telegram
from teamtasks.services import due_dates
from teamtasks.storage import ObjectStorage, open_storage

log = structlog.stdlib.get_logger("teamtasks.bot")


def create_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot for Telegram, or for the Bot API server at TELEGRAM_API_URL when it is set."""
    session = AiohttpSession()
    if settings.telegram_api_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(RetryAfterMiddleware())
    return Bot(
        token=token or settings.require_bot_token(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def create_fsm_storage(settings: Settings) -> BaseStorage:
    """Conversation state in Redis when REDIS_URL is set (shared by replicas), else in memory."""
    if settings.redis_url:
        return RedisStorage.from_url(settings.redis_url)
    return MemoryStorage()


def create_dispatcher(
    settings: Settings,
    session_factory: SessionFactory,
    storage: BaseStorage | None = None,
    *,
    files_store: ObjectStorage | None = None,
) -> Dispatcher:
    """`files_store`: the object store for task files; without one, the dispatcher opens the
    store the settings name when it starts (polling) and closes it when it stops."""
    dispatcher = Dispatcher(storage=storage or create_fsm_storage(settings))
    dispatcher["file_size_limit"] = settings.telegram_download_limit
    dispatcher["payments"] = create_registry(settings)
    if files_store is not None:
        dispatcher["files_store"] = files_store
    else:
        _open_files_store_on_startup(dispatcher, settings)
    dispatcher.update.outer_middleware(UnitOfWorkMiddleware(session_factory))
    dispatcher.update.outer_middleware(
        CurrentUserMiddleware(language_from_telegram(settings.default_language))
    )
    dispatcher.update.outer_middleware(GroupChatMiddleware())
    name_middleware = HandlerNameMiddleware()
    for update_type, observer in dispatcher.observers.items():
        if update_type not in ("update", "error"):
            observer.middleware(name_middleware)
    dispatcher.include_routers(*routers())
    dispatcher.startup.register(_on_startup)
    return dispatcher


def _open_files_store_on_startup(dispatcher: Dispatcher, settings: Settings) -> None:
    opened = AsyncExitStack()

    async def open_store() -> None:
        dispatcher["files_store"] = await opened.enter_async_context(open_storage(settings))

    async def close_store() -> None:
        dispatcher.workflow_data.pop("files_store", None)
        await opened.aclose()

    dispatcher.startup.register(open_store)
    dispatcher.shutdown.register(close_store)


async def _on_startup(bot: Bot) -> None:
    """Run by start_polling, and by the web app's lifespan in webhook mode."""
    due_dates.warm_up()
    try:
        await set_commands(bot)
    except TelegramAPIError as exc:
        # The menu is a convenience: the bot works without it, so start-up goes on.
        log.warning("commands_not_set", error=str(exc))
