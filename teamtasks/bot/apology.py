"""The short apology a user gets when their update failed unexpectedly."""

from __future__ import annotations

from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Update

from teamtasks.i18n import gettext, language_from_telegram
from teamtasks.models.enums import Language

log = structlog.stdlib.get_logger("teamtasks.bot")


async def apologize(bot: Bot, update: Update, data: dict[str, Any]) -> None:
    """Tell the user something went wrong, in their language; never raise."""
    language = data.get("language")
    if not isinstance(language, Language):
        sender = data.get("event_from_user")
        language = language_from_telegram(getattr(sender, "language_code", None))
    text = gettext(language, "errors.apology")
    try:
        if update.callback_query is not None:
            await bot.answer_callback_query(update.callback_query.id, text=text, show_alert=True)
            return
        chat = data.get("event_chat")
        if chat is not None:
            await bot.send_message(chat.id, text)
    except TelegramAPIError:
        log.warning("apology_not_delivered", exc_info=True)
