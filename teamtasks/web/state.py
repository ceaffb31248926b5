"""What the web app holds for its lifetime, built at start-up and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine

from teamtasks.config import Settings
from teamtasks.db import SessionFactory
from teamtasks.storage import ObjectStorage


@dataclass(frozen=True)
class TelegramWebhook:
    bot: Bot
    dispatcher: Dispatcher
    secret: str


@dataclass(frozen=True)
class AppState:
    settings: Settings
    engine: AsyncEngine
    session_factory: SessionFactory
    telegram: TelegramWebhook | None
    files_store: ObjectStorage
