"""`/help`: the commands, and what the user's role allows in their active company."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message

from teamtasks.bot.callbacks.team import OnboardingAction, OnboardingCallback
from teamtasks.bot.handlers.team.common import answer, send
from teamtasks.bot.replies import Replies
from teamtasks.bot.views import team as views
from teamtasks.models.enums import Language
from teamtasks.services.actors import Actor


async def help_command(message: Message, language: Language, actor: Actor | None) -> SendMessage:
    return answer(message, views.help_text(language, actor))


async def help_button(
    callback: CallbackQuery, language: Language, actor: Actor | None, replies: Replies
) -> AnswerCallbackQuery:
    replies.add(send(callback, views.help_text(language, actor)))
    return callback.answer()


def register(router: Router) -> None:
    router.message.register(help_command, Command("help"))
    router.callback_query.register(
        help_button, OnboardingCallback.filter(F.action == OnboardingAction.HELP)
    )
