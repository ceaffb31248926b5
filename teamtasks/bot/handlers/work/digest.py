"""`/digest`: the morning digest of today's and overdue tasks, on or off (`/digest on|off`).

A personal preference of the user's own row (User.morning_digest), like the language: no
company, no rights, no audit. The worker's reminders job reads it.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message

from teamtasks.bot.handlers.team.common import answer, edit
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.team import View, button, keyboard
from teamtasks.i18n import gettext
from teamtasks.models import User
from teamtasks.models.enums import Language


class DigestCallback(CallbackData, prefix="dig"):
    on: bool


def _state(language: Language, on: bool) -> View:
    """Whether the digest is on, with the button that switches it."""
    label = gettext(language, "worker.digest.button_off" if on else "worker.digest.button_on")
    return View(
        gettext(language, "worker.digest.state_on" if on else "worker.digest.state_off"),
        keyboard([button(label, DigestCallback(on=not on))]),
    )


def _switched(language: Language, on: bool) -> View:
    return View(gettext(language, "worker.digest.on" if on else "worker.digest.off"))


async def digest(
    message: Message, command: CommandObject, user: User, language: Language
) -> SendMessage:
    choice = (command.args or "").strip().lower()
    if choice in ("on", "off"):
        user.morning_digest = choice == "on"
        return answer(message, _switched(language, user.morning_digest))
    return answer(message, _state(language, user.morning_digest))


async def switch(
    callback: CallbackQuery,
    callback_data: DigestCallback,
    user: User,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    user.morning_digest = callback_data.on
    replies.add(edit(callback, _switched(language, callback_data.on)))
    return callback.answer()


def register(router: Router) -> None:
    router.message.register(digest, Command("digest"))
    router.callback_query.register(switch, DigestCallback.filter())
