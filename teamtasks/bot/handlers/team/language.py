"""`/language`: the language the bot speaks to this user (ru or en), kept in User.language."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message

from teamtasks.bot.callbacks.team import LanguageCallback
from teamtasks.bot.handlers.team.common import answer, edit
from teamtasks.bot.replies import Replies
from teamtasks.bot.views import team as views
from teamtasks.models import User
from teamtasks.models.enums import Language


async def choose(message: Message, language: Language) -> SendMessage:
    return answer(message, views.language_choice(language))


async def switch(
    callback: CallbackQuery, callback_data: LanguageCallback, user: User, replies: Replies
) -> AnswerCallbackQuery:
    """A personal preference of the user's own row: no company, no rights, no audit."""
    user.language = callback_data.language
    replies.add(edit(callback, views.plain(callback_data.language, "team.lng.set")))
    return callback.answer()


def register(router: Router) -> None:
    router.message.register(choose, Command("language"))
    router.callback_query.register(switch, LanguageCallback.filter())
