"""The last router: whatever no other handler took still gets a clear answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message

from teamtasks.bot.filters import Magic
from teamtasks.i18n import gettext
from teamtasks.models.enums import Language


async def unknown_button(callback: CallbackQuery, language: Language) -> AnswerCallbackQuery:
    """A button of an old message, or data no client of ours could have sent."""
    return callback.answer(gettext(language, "fallback.button"), show_alert=True)


async def unknown_command(message: Message, language: Language) -> SendMessage:
    return message.answer(gettext(language, "fallback.command"))


async def unexpected_message(message: Message, language: Language) -> SendMessage:
    return message.answer(gettext(language, "fallback.message"))


def router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(unknown_button)
    private = Magic(F.chat.type == ChatType.PRIVATE)
    router.message.register(unknown_command, private, Magic(F.text.startswith("/")))
    router.message.register(unexpected_message, private)
    return router
