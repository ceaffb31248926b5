"""Sending, editing and deleting text messages; chat actions; callback answers.

Edits do not count against flood limits (only new messages do).
"""

from __future__ import annotations

from typing import Any

from .core import Emulator
from .errors import NOT_MODIFIED, QUERY_TOO_OLD, bad_request, required
from .formatting import FormattedText, format_text
from .keyboards import is_inline, reply_markup_param
from .methods_base import Handler
from .models import ChatRecord, MessageRecord
from .params import Params
from .store import now

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
MAX_CALLBACK_ANSWER_LENGTH = 200


def text_content(text: FormattedText, field: str = "text") -> dict[str, Any]:
    content: dict[str, Any] = {field: text.text}
    if text.entities:
        content["entities" if field == "text" else "caption_entities"] = text.entities
    return content


def common_flags(params: Params) -> dict[str, Any]:
    return {"has_protected_content": True} if params.boolean("protect_content") else {}


async def send_message(emulator: Emulator, params: Params) -> Any:
    chat = emulator.chat_for_bot(params)
    text = format_text(params)
    assert text is not None
    markup = reply_markup_param(params)
    reply_to = emulator.reply_target(chat, params)
    emulator.flood.check_send(chat.id, is_group=chat.is_group)
    content = {**text_content(text), **common_flags(params)}
    preview = params.json_value("link_preview_options", "can't parse link preview options")
    if isinstance(preview, dict) and preview:
        content["link_preview_options"] = preview
    message = emulator.bot_message(chat, content, markup, reply_to)
    return emulator.serializer.message_json(message)


def editable_message(emulator: Emulator, params: Params) -> tuple[ChatRecord, MessageRecord]:
    if params.has("inline_message_id") and not params.has("chat_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = emulator.chat_for_bot(params)
    message = chat.messages.get(emulator.message_id_param(params))
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def inline_markup_param(params: Params) -> dict[str, Any] | None:
    markup = reply_markup_param(params)
    if markup is not None and not is_inline(markup):
        raise bad_request("inline keyboard expected")
    return markup


def apply_edit(
    emulator: Emulator,
    chat: ChatRecord,
    message: MessageRecord,
    content: dict[str, Any],
    markup: dict[str, Any] | None,
    replaced: tuple[str, ...],
) -> Any:
    """Replace the ``replaced`` fields and the inline keyboard, refusing a no-op edit."""
    old = {key: message.content.get(key) for key in replaced}
    new = {key: content.get(key) for key in replaced}
    if old == new and message.markup == markup:
        raise bad_request(NOT_MODIFIED)
    for key in replaced:
        message.content.pop(key, None)
    message.content.update(content)
    message.markup = markup
    message.edit_date = now()
    emulator.store.touch(chat, message)
    return emulator.serializer.message_json(message)


async def edit_message_text(emulator: Emulator, params: Params) -> Any:
    chat, message = editable_message(emulator, params)
    if "text" not in message.content:
        raise bad_request("there is no text in the message to edit")
    text = format_text(params)
    assert text is not None
    markup = inline_markup_param(params)
    return apply_edit(emulator, chat, message, text_content(text), markup, ("text", "entities"))


async def edit_message_caption(emulator: Emulator, params: Params) -> Any:
    chat, message = editable_message(emulator, params)
    if not any(key in message.content for key in ("document", "photo")):
        raise bad_request("there is no caption in the message to edit")
    caption = format_text(
        params, text_field="caption", entities_field="caption_entities", caption=True
    )
    content = text_content(caption, "caption") if caption else {}
    markup = inline_markup_param(params)
    return apply_edit(emulator, chat, message, content, markup, ("caption", "caption_entities"))


async def edit_message_reply_markup(emulator: Emulator, params: Params) -> Any:
    chat, message = editable_message(emulator, params)
    markup = inline_markup_param(params)
    return apply_edit(emulator, chat, message, {}, markup, ())


async def delete_message(emulator: Emulator, params: Params) -> Any:
    chat = emulator.chat_for_bot(params)
    message_id = params.integer("message_id")
    if message_id is None:
        raise required("message_id")
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to delete not found")
    if chat.is_group and not message.from_bot:
        raise bad_request("message can't be deleted")
    emulator.store.delete_message(chat, message_id)
    return True


async def send_chat_action(emulator: Emulator, params: Params) -> Any:
    emulator.chat_for_bot(params)
    if params.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


async def answer_callback_query(emulator: Emulator, params: Params) -> Any:
    query_id = params.text("callback_query_id")
    if not query_id:
        raise required("callback_query_id")
    future = emulator.callbacks.get(query_id)
    if future is None or future.done():
        raise bad_request(QUERY_TOO_OLD)
    text = params.text("text") or None
    if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    future.set_result(
        {"text": text, "show_alert": params.boolean("show_alert"), "url": params.text("url")}
    )
    return True


METHODS: dict[str, Handler] = {
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "sendChatAction": send_chat_action,
    "answerCallbackQuery": answer_callback_query,
}
