"""A refused action (a DomainError from a service) as the answer a person sees."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import Update

from teamtasks.models.enums import Language
from teamtasks.services.actors import Actor
from teamtasks.services.errors import DomainError, NoCompany


def refusal_reply(
    update: Update, refusal: DomainError, language: Language
) -> AnswerCallbackQuery | SendMessage | None:
    """An alert for a pressed button, a message for anything else; None when nobody to tell."""
    text = refusal.text(language)
    if update.callback_query is not None:
        return AnswerCallbackQuery(
            callback_query_id=update.callback_query.id, text=text[:200], show_alert=True
        )
    message = update.message or update.edited_message
    if message is not None:
        return SendMessage(chat_id=message.chat.id, text=text)
    return None


def member(actor: Actor | None) -> Actor:
    """The actor, or a refusal that tells a user outside any company what to do."""
    if actor is None:
        raise NoCompany
    return actor
