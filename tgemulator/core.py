"""The emulated Telegram: state, update queue, flood control and the rules both sides share."""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Any

from .errors import CHAT_NOT_FOUND, ApiError, GatewayError, bad_request, forbidden
from .flood import FloodControl, FloodLimits
from .models import ChatRecord, MessageRecord, RecordedCall, UserRecord
from .params import Params
from .serialize import Serializer, chat_json, chat_member_json, user_json
from .store import Store, now
from .textutil import entity_text
from .updates import UpdateQueue
from .webhook import WebhookDelivery


@dataclass
class EmulatorConfig:
    bot_token: str
    bot_username: str
    bot_first_name: str
    privacy_mode: bool = True
    callback_answer_timeout: float = 10.0
    pre_checkout_timeout: float = 10.0
    webhook_retry_delay: float = 0.05
    webhook_max_retry_delay: float = 2.0
    webhook_timeout: float = 10.0
    base_url: str = ""


def bot_id_from_token(token: str) -> int:
    head, _, tail = token.partition(":")
    if not head.isdigit() or not tail:
        raise ValueError("a bot token looks like '123456:ABC...'")
    return int(head)


class Emulator:
    def __init__(self, config: EmulatorConfig, flood: FloodLimits) -> None:
        self.config = config
        self.bot_id = bot_id_from_token(config.bot_token)
        self.store = Store()
        self.updates = UpdateQueue()
        self.webhook = WebhookDelivery(
            self.updates,
            retry_delay=config.webhook_retry_delay,
            max_retry_delay=config.webhook_max_retry_delay,
            timeout=config.webhook_timeout,
        )
        self.flood_limits = flood
        self.flood = FloodControl(flood)
        self.calls: list[RecordedCall] = []
        self.callbacks: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self.pre_checkouts: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self.failures: dict[str, deque[ApiError | GatewayError]] = {}
        """Errors the next calls of a method (by its lower-cased name) answer, in order."""
        self.closing = False
        """The server is stopping: every wait of a request ends at once."""
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": config.bot_first_name,
            "username": config.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not config.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.serializer = Serializer(self.store, self.bot_user)

    def fail_next(self, method: str, error: ApiError | GatewayError, *, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `error` instead of running them, as
        Telegram does when something fails on its side."""
        self.failures.setdefault(method.lower(), deque()).extend([error] * times)

    def failure_for(self, method: str) -> ApiError | GatewayError | None:
        """The error the method answers this time, if one is queued for it."""
        queued = self.failures.get(method.lower())
        return queued.popleft() if queued else None

    # --- looking things up for the bot -------------------------------------------------

    def chat_for_bot(self, params: Params, *, writing: bool = True) -> ChatRecord:
        """The chat named by ``chat_id``, refused as Telegram refuses the bot."""
        if not params.has("chat_id"):
            raise bad_request("chat_id is empty")
        try:
            chat_id = params.integer("chat_id")
        except ApiError:
            raise bad_request(CHAT_NOT_FOUND) from None
        chat = self.store.chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            user = self.store.users[chat.id]
            if writing and user.blocked:
                raise forbidden("bot was blocked by the user")
            if writing and not user.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        elif chat.bot_status != "member":
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def message_id_param(self, params: Params) -> int:
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        return message_id

    def reply_target(self, chat: ChatRecord, params: Params) -> int | None:
        """The message a bot message replies to (reply_parameters or reply_to_message_id)."""
        reply = params.json_value("reply_parameters", "can't parse reply parameters JSON object")
        allow_missing = params.boolean("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        else:
            message_id = params.integer("reply_to_message_id")
        if message_id is None:
            return None
        if not isinstance(message_id, int) or message_id not in chat.messages:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return message_id

    # --- bot output ----------------------------------------------------------------------

    def bot_message(
        self,
        chat: ChatRecord,
        content: dict[str, Any],
        markup: dict[str, Any] | None = None,
        reply_to: int | None = None,
    ) -> MessageRecord:
        if markup is not None and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        return self.store.add_message(
            chat,
            sender_id=self.bot_id,
            from_bot=True,
            content=content,
            reply_to=reply_to,
            markup=markup,
        )

    # --- user input ----------------------------------------------------------------------

    def bot_sees(self, chat: ChatRecord, message: MessageRecord, *, service: bool) -> bool:
        """Whether the bot receives a group message, given its privacy mode."""
        if not chat.is_group:
            return True
        if chat.bot_status != "member":
            return False
        if service or not self.config.privacy_mode:
            return True
        if message.reply_to is not None:
            replied = chat.messages.get(message.reply_to)
            if replied is not None and replied.from_bot:
                return True
        text = message.content.get("text") or message.content.get("caption") or ""
        entities = message.content.get("entities") or message.content.get("caption_entities")
        me = self.config.bot_username.lower()
        for entity in entities or []:
            piece = entity_text(text, entity).lower()
            if entity["type"] == "mention" and piece == f"@{me}":
                return True
            if entity["type"] == "bot_command" and ("@" not in piece or piece.endswith(f"@{me}")):
                return True
        return False

    def user_message(
        self,
        chat: ChatRecord,
        user: UserRecord,
        content: dict[str, Any],
        *,
        reply_to: int | None = None,
        service: bool = False,
    ) -> MessageRecord:
        """Store a message a user sent and deliver it if the bot may see it."""
        keyboard = chat.reply_keyboard
        if not service and keyboard is not None and keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        message = self.store.add_message(
            chat, sender_id=user.id, from_bot=False, content=content, reply_to=reply_to
        )
        if self.bot_sees(chat, message, service=service):
            self.updates.push("message", self.serializer.message_json(message))
        return message

    def member_update(
        self,
        kind: str,
        chat: ChatRecord,
        actor: dict[str, Any],
        member: dict[str, Any],
        old_status: str,
        new_status: str,
    ) -> None:
        """A ``my_chat_member`` or ``chat_member`` update."""
        self.updates.push(
            kind,
            {
                "chat": chat_json(chat, self.store),
                "from": actor,
                "date": now(),
                "old_chat_member": chat_member_json(member, old_status),
                "new_chat_member": chat_member_json(member, new_status),
            },
        )

    def set_blocked(self, user: UserRecord, blocked: bool) -> None:
        if user.blocked == blocked:
            return
        user.blocked = blocked
        chat = self.store.private_chat(user)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self.member_update("my_chat_member", chat, user_json(user), self.bot_user, old, new)
        self.store.changed()

    def close(self) -> None:
        """End the waits of pending requests: long polls answer now, queries get no answer."""
        self.closing = True
        self.updates.closed = True
        self.updates.wake_pollers()
        self.store.changes.notify()
        for future in [*self.callbacks.values(), *self.pre_checkouts.values()]:
            if not future.done():
                future.set_result(None)

    async def await_answer(
        self,
        pending: dict[str, asyncio.Future[dict[str, Any] | None]],
        kind: str,
        payload: dict[str, Any],
        seconds: float,
    ) -> tuple[str, dict[str, Any] | None]:
        """Push a query update; return its id and the bot's answer, or None on timeout."""
        query_id = str(secrets.randbits(62))
        if self.closing:
            return query_id, None
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        pending[query_id] = future
        self.updates.push(kind, {"id": query_id, **payload})
        try:
            async with asyncio.timeout(seconds):
                return query_id, await future
        except TimeoutError:
            return query_id, None
        finally:
            pending.pop(query_id, None)
