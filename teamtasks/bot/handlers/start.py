"""`/start`: the greeting (onboarding grows here)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import Message

from teamtasks.i18n import gettext
from teamtasks.models import User
from teamtasks.models.enums import Language


async def start(message: Message, user: User, language: Language) -> SendMessage:
    return message.answer(gettext(language, "start.greeting", name=user.first_name))


def router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    return router
