"""The user side: people who write to the bot, press its buttons and pay its invoices."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .core import Emulator
from .errors import ApiError
from .formatting import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH
from .http_util import (
    emulator_of,
    fail,
    int_field,
    json_body,
    path_int,
    user_or_404,
)
from .keyboards import callback_datas
from .methods_files import store_upload
from .methods_payments import INVOICE_LINK_PATH
from .models import ChatRecord, UserRecord
from .params import Upload
from .payments import invoice_key, pay_invoice, record_payment
from .serialize import document_json, photo_json, user_json
from .textutil import detect_entities, utf16_len

USERS = "/emulator/api/users"


def typed_content(text: str, field: str = "text") -> dict[str, Any]:
    """A user's text with the entities Telegram detects in it."""
    limit = MAX_TEXT_LENGTH if field == "text" else MAX_CAPTION_LENGTH
    if utf16_len(text) > limit:
        raise fail(400, f"{field} is longer than {limit} characters")
    content: dict[str, Any] = {field: text}
    entities = detect_entities(text)
    if entities:
        content["entities" if field == "text" else "caption_entities"] = entities
    return content


async def create_user(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    body = await json_body(request)
    first_name = body.get("first_name")
    if not isinstance(first_name, str) or not first_name:
        raise fail(400, "first_name is required")
    user = emulator.store.new_user(
        first_name,
        last_name=body.get("last_name"),
        username=body.get("username"),
        language_code=body.get("language_code"),
    )
    emulator.store.private_chat(user)
    return web.json_response({"id": user.id})


async def list_users(request: web.Request) -> web.Response:
    users = emulator_of(request).store.users.values()
    return web.json_response(
        {"users": [{**user_json(u), "blocked": u.blocked, "started": u.started} for u in users]}
    )


def private_chat_for(request: web.Request) -> tuple[UserRecord, ChatRecord]:
    emulator = emulator_of(request)
    user = user_or_404(emulator, path_int(request, "user_id"))
    if user.blocked:
        raise fail(409, "the user has blocked the bot; unblock it first")
    user.started = True
    return user, emulator.store.private_chat(user)


async def message_fields(request: web.Request) -> dict[str, Any]:
    """The body of a message a person sends: JSON, or a multipart form with a ``file``."""
    if request.content_type != "multipart/form-data":
        return await json_body(request)
    fields = dict(await request.post())
    if not isinstance(fields.get("file"), web.FileField):
        raise fail(400, "multipart messages need a file field")
    return fields


def text_mentions(emulator: Emulator, text: str, raw: object) -> list[dict[str, Any]]:
    """``text_mention`` entities, as a Telegram app sets them when a person picks someone with
    no username to mention: ``[{"offset", "length", "user_id"}]`` in UTF-16 units."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise fail(400, "text_mentions must be a list")
    total = utf16_len(text)
    entities = []
    for item in raw:
        if not isinstance(item, dict):
            raise fail(400, "a text mention is an object")
        offset, length, user_id = item.get("offset"), item.get("length"), item.get("user_id")
        if not (isinstance(offset, int) and isinstance(length, int) and isinstance(user_id, int)):
            raise fail(400, "a text mention needs an offset, a length and a user_id")
        if offset < 0 or length <= 0 or offset + length > total:
            raise fail(400, "a text mention must cover a part of the text")
        if _splits_a_character(text, offset) or _splits_a_character(text, offset + length):
            raise fail(400, "a text mention may not split a character")
        user = user_or_404(emulator, user_id)
        entities.append(
            {"type": "text_mention", "offset": offset, "length": length, "user": user_json(user)}
        )
    return entities


def _splits_a_character(text: str, units: int) -> bool:
    """Whether a place `units` UTF-16 code units in falls inside a surrogate pair."""
    at = text.encode("utf-16-le")[units * 2 : units * 2 + 2]
    return len(at) == 2 and 0xDC00 <= int.from_bytes(at, "little") <= 0xDFFF


def message_content(emulator: Emulator, fields: dict[str, Any]) -> dict[str, Any]:
    """The message: the uploaded document or photo with an optional caption, or the text (with
    the people it mentions by name: `text_mentions`)."""
    upload = fields.get("file")
    if not isinstance(upload, web.FileField):
        text = fields.get("text")
        if not isinstance(text, str) or not text.strip():
            raise fail(400, "text is required")
        content = typed_content(text)
        mentioned = text_mentions(emulator, text, fields.get("text_mentions"))
        if mentioned:
            entities = [*content.get("entities", []), *mentioned]
            content["entities"] = sorted(entities, key=lambda entity: entity["offset"])
        return content
    caption = fields.get("caption")
    content = typed_content(caption, "caption") if isinstance(caption, str) and caption else {}
    as_photo = str(fields.get("as_photo", "")).lower() in ("1", "true")
    try:
        record = store_upload(
            emulator,
            Upload(upload.filename, upload.file.read(), upload.content_type),
            "photo" if as_photo else "document",
        )
    except ApiError as error:
        raise fail(400, error.description) from None
    if as_photo:
        content["photo"] = photo_json(record)
    else:
        content["document"] = document_json(record)
    return content


async def send_message(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    user, chat = private_chat_for(request)
    fields = await message_fields(request)
    reply_to = int_field(fields, "reply_to_message_id", optional=True)
    message = emulator.user_message(
        chat, user, message_content(emulator, fields), reply_to=reply_to
    )
    return web.json_response({"message_id": message.message_id})


async def _callback(request: web.Request, *, forged: bool) -> web.Response:
    emulator = emulator_of(request)
    body = await json_body(request)
    user = user_or_404(emulator, path_int(request, "user_id"))
    chat_id = int_field(body, "chat_id", optional=True) or user.id
    chat = emulator.store.chats.get(chat_id)
    if chat is None or (chat.is_group and user.id not in chat.member_ids):
        raise fail(404, f"user {user.id} is not in chat {chat_id}")
    if chat.type == "private" and user.blocked:
        raise fail(409, "the user has blocked the bot; unblock it first")
    message = chat.messages.get(int_field(body, "message_id") or 0)
    if message is None:
        raise fail(404, "message not found")
    data = body.get("data")
    if not isinstance(data, str):
        raise fail(400, "data must be a string")
    if not forged and data not in callback_datas(message.markup):
        raise fail(400, "no button with this callback_data on the message")
    query_id, answer = await emulator.await_answer(
        emulator.callbacks,
        "callback_query",
        {
            "from": user_json(user),
            "message": emulator.serializer.message_json(message),
            "chat_instance": chat.instance,
            "data": data,
        },
        emulator.config.callback_answer_timeout,
    )
    return web.json_response({"callback_query_id": query_id, "answer": answer})


async def callback(request: web.Request) -> web.Response:
    return await _callback(request, forged=False)


async def forged_callback(request: web.Request) -> web.Response:
    return await _callback(request, forged=True)


async def pay(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    body = await json_body(request)
    user = user_or_404(emulator, path_int(request, "user_id"))
    chat_id = int_field(body, "chat_id", optional=True) or user.id
    message_id = int_field(body, "message_id") or 0
    invoice = emulator.store.invoices.get(invoice_key(chat_id, message_id))
    chat = emulator.store.chats.get(chat_id)
    if invoice is None or chat is None:
        raise fail(404, "no invoice message with this id")
    return web.json_response(await pay_invoice(emulator, chat, user, invoice))


async def pay_link(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    body = await json_body(request)
    url = str(body.get("url", ""))
    slug = url.rsplit(INVOICE_LINK_PATH, 1)[-1] if INVOICE_LINK_PATH in url else ""
    invoice = emulator.store.invoices.get(slug) if slug else None
    if invoice is None:
        raise fail(404, "no invoice link with this URL")
    user, chat = private_chat_for(request)
    return web.json_response(await pay_invoice(emulator, chat, user, invoice))


async def renew(request: web.Request) -> web.Response:
    """Renew a Stars subscription: a new ``successful_payment`` without checkout."""
    emulator = emulator_of(request)
    body = await json_body(request)
    user, chat = private_chat_for(request)
    charge = emulator.store.charges.get(str(body.get("telegram_payment_charge_id", "")))
    if charge is None or charge.user_id != user.id or charge.subscription_period is None:
        raise fail(404, "no subscription payment with this charge id")
    invoice = emulator.store.invoices.get(charge.invoice_ref)
    if invoice is None:
        raise fail(404, "the invoice of this subscription is gone")
    renewed = record_payment(emulator, chat, user, invoice, renewal_of=charge)
    return web.json_response({"status": "paid", "telegram_payment_charge_id": renewed.charge_id})


async def payments(request: web.Request) -> web.Response:
    emulator = emulator_of(request)
    user = user_or_404(emulator, path_int(request, "user_id"))
    charges = [c for c in emulator.store.charges.values() if c.user_id == user.id]
    return web.json_response(
        {
            "payments": [
                {
                    "telegram_payment_charge_id": c.charge_id,
                    "currency": c.currency,
                    "total_amount": c.total_amount,
                    "invoice_payload": c.payload,
                    "refunded": c.refunded,
                    "subscription_expiration_date": c.expiration_date,
                }
                for c in charges
            ]
        }
    )


async def _set_blocked(request: web.Request, blocked: bool) -> web.Response:
    emulator = emulator_of(request)
    user = user_or_404(emulator, path_int(request, "user_id"))
    emulator.set_blocked(user, blocked)
    return web.json_response({"blocked": user.blocked})


async def block(request: web.Request) -> web.Response:
    return await _set_blocked(request, True)


async def unblock(request: web.Request) -> web.Response:
    return await _set_blocked(request, False)


def add_routes(app: web.Application) -> None:
    app.router.add_post(USERS, create_user)
    app.router.add_get(USERS, list_users)
    user = USERS + "/{user_id}"
    app.router.add_post(user + "/messages", send_message)
    app.router.add_post(user + "/callback", callback)
    app.router.add_post(user + "/forged_callback", forged_callback)
    app.router.add_post(user + "/pay", pay)
    app.router.add_post(user + "/pay_link", pay_link)
    app.router.add_post(user + "/renew", renew)
    app.router.add_get(user + "/payments", payments)
    app.router.add_post(user + "/block", block)
    app.router.add_post(user + "/unblock", unblock)
