"""What the work side's other handlers did not take: garbled or stale buttons of ours, and
something else than text while a question waits for text."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message

from teamtasks.bot.callbacks.work import WORK_PREFIXES
from teamtasks.bot.filters import Magic
from teamtasks.bot.handlers.work.common import WorkInput, answers_question, send
from teamtasks.bot.views.work import notice, t
from teamtasks.models.enums import Language


async def stale_button(callback: CallbackQuery, language: Language) -> AnswerCallbackQuery:
    return callback.answer(t(language, "work.stale.button"), show_alert=True)


async def text_wanted(message: Message, language: Language) -> SendMessage:
    return send(message, notice(language, "work.input.text_only"))


def register(router: Router) -> None:
    router.callback_query.register(stale_button, Magic(F.data.startswith(WORK_PREFIXES)))
    router.message.register(text_wanted, StateFilter(WorkInput), Magic(~F.text), answers_question)
