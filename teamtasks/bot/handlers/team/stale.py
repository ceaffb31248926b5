"""Buttons of the team side that no handler took: garbled, forged or left from an old version."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery

from teamtasks.bot.callbacks.team import TEAM_PREFIXES
from teamtasks.bot.filters import Magic
from teamtasks.i18n import gettext
from teamtasks.models.enums import Language


async def stale_button(callback: CallbackQuery, language: Language) -> AnswerCallbackQuery:
    return callback.answer(gettext(language, "team.stale_button"), show_alert=True)


def register(router: Router) -> None:
    """Registered after every other team router: it takes only what they refused to parse."""
    router.callback_query.register(stale_button, Magic(F.data.startswith(TEAM_PREFIXES)))
