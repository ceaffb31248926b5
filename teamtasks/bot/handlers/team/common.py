"""Unsent Bot API methods that show a View: as an answer, as a new message, as an edit."""

from __future__ import annotations

from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import CallbackQuery, Message

from teamtasks.bot.views.team import View


def answer(message: Message, view: View) -> SendMessage:
    """The view as the reply to a message."""
    return message.answer(view.text, reply_markup=view.markup)


def send(callback: CallbackQuery, view: View) -> SendMessage:
    """The view as a new message in the chat of the pressed button."""
    chat_id = callback.message.chat.id if callback.message else callback.from_user.id
    return SendMessage(chat_id=chat_id, text=view.text, reply_markup=view.markup)


def edit(callback: CallbackQuery, view: View) -> EditMessageText:
    """The message of the pressed button, changed to the view."""
    if callback.message is None:
        return EditMessageText(
            inline_message_id=callback.inline_message_id,
            text=view.text,
            reply_markup=view.markup,
        )
    return EditMessageText(
        chat_id=callback.message.chat.id,
        message_id=callback.message.message_id,
        text=view.text,
        reply_markup=view.markup,
    )
