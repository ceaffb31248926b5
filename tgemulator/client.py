"""A readable async client for the user side, for test scenarios and demos.

Every wait is a long poll on the server that returns as soon as the bot has produced
what is awaited, so scenarios never sleep::

    async with EmulatorClient(server.base_url) as client:
        anna = await client.create_user("Anna", language_code="ru")
        await anna.send("/start")
        greeting = await anna.wait_reply()
        answer = await anna.press("Create task")
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from .client_models import CallbackAnswer, ChatMessage, PaymentResult

__all__ = [
    "CallbackAnswer",
    "ChatMessage",
    "EmulatorClient",
    "EmulatorError",
    "Group",
    "PaymentResult",
    "Person",
]


class EmulatorError(Exception):
    """The user API refused a request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class EmulatorClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        data: aiohttp.FormData | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        async with self._session.request(
            method, self.base_url + path, json=json, data=data, params=query
        ) as response:
            body = await response.json()
            if response.status >= 400:
                raise EmulatorError(response.status, str(body.get("error", body)))
            return body

    async def create_user(
        self,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = None,
        last_name: str | None = None,
    ) -> Person:
        body: dict[str, Any] = {"first_name": first_name}
        for key, value in (
            ("username", username),
            ("language_code", language_code),
            ("last_name", last_name),
        ):
            if value is not None:
                body[key] = value
        created = await self.request("POST", "/emulator/api/users", json=body)
        return Person(self, created["id"], first_name, username)

    async def create_group(self, title: str, members: Sequence[Person]) -> Group:
        created = await self.request(
            "POST",
            "/emulator/api/groups",
            json={"title": title, "member_ids": [m.id for m in members]},
        )
        return Group(self, created["id"], title)

    async def messages(
        self,
        chat_id: int,
        *,
        after: int | None = None,
        since_seq: int | None = None,
        wait: float | None = None,
    ) -> dict[str, Any]:
        """The raw ``/messages`` answer: ``messages``, ``seq`` and (with since_seq) ``deleted``."""
        query = {
            key: str(value)
            for key, value in (("after", after), ("since_seq", since_seq), ("wait", wait))
            if value is not None
        }
        result: dict[str, Any] = await self.request(
            "GET", f"/emulator/api/chats/{chat_id}/messages", query=query
        )
        return result

    async def chat(self, chat_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", f"/emulator/api/chats/{chat_id}")
        return result


def _file_form(name: str, data: bytes, caption: str | None, *, as_photo: bool) -> aiohttp.FormData:
    """The multipart body of a document (or, with ``as_photo``, a photo) a person sends."""
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name)
    if caption is not None:
        form.add_field("caption", caption)
    if as_photo:
        form.add_field("as_photo", "1")
    return form


@dataclass
class _Chat:
    """What a chat window offers: reading the bot's messages and waiting for new ones."""

    client: EmulatorClient
    chat_id: int
    last_seen_bot_id: int = 0

    async def messages(self) -> list[ChatMessage]:
        body = await self.client.messages(self.chat_id)
        return [ChatMessage.from_view(m) for m in body["messages"]]

    async def last_bot_message(self) -> ChatMessage | None:
        bot_messages = [m for m in await self.messages() if m.from_bot]
        return bot_messages[-1] if bot_messages else None

    async def wait_reply(self, timeout: float = 5.0) -> ChatMessage:  # noqa: ASYNC109
        """The next bot message after the last one this handle returned."""
        replies = await self.wait_replies(1, timeout=timeout)
        return replies[0]

    async def wait_replies(self, count: int, timeout: float = 5.0) -> list[ChatMessage]:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        found: list[ChatMessage] = []
        while True:
            remaining = max(deadline - loop.time(), 0.0)
            body = await self.client.messages(
                self.chat_id, after=self.last_seen_bot_id, wait=remaining
            )
            for view in body["messages"]:
                message = ChatMessage.from_view(view)
                if message.from_bot and len(found) < count:
                    found.append(message)
                    self.last_seen_bot_id = message.message_id
            if len(found) == count:
                return found
            if remaining <= 0:
                raise TimeoutError(
                    f"chat {self.chat_id}: {len(found)} of {count} bot messages in {timeout}s"
                )

    async def wait_edit(self, message: ChatMessage, timeout: float = 5.0) -> ChatMessage:  # noqa: ASYNC109
        """``message`` as it is after its next change by the bot."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        since = message.seq
        while True:
            remaining = max(deadline - loop.time(), 0.0)
            body = await self.client.messages(self.chat_id, since_seq=since, wait=remaining)
            if message.message_id in body["deleted"]:
                raise LookupError(f"message {message.message_id} was deleted")
            for view in body["messages"]:
                if view["message_id"] == message.message_id:
                    return ChatMessage.from_view(view)
            if remaining <= 0:
                raise TimeoutError(f"message {message.message_id} unchanged after {timeout}s")
            since = body["seq"]

    async def _press(self, user_id: int, label: str) -> CallbackAnswer | None:
        for message in reversed(await self.messages()):
            if message.from_bot and label in message.buttons:
                return await self._click(user_id, message.message_id, message.callback_data(label))
        raise LookupError(f"no inline button {label!r} in chat {self.chat_id}")

    async def _click(
        self, user_id: int, message_id: int, data: str, *, forged: bool = False
    ) -> CallbackAnswer | None:
        endpoint = "forged_callback" if forged else "callback"
        body = await self.client.request(
            "POST",
            f"/emulator/api/users/{user_id}/{endpoint}",
            json={"message_id": message_id, "data": data, "chat_id": self.chat_id},
        )
        answer = body["answer"]
        return CallbackAnswer.from_json(answer) if answer is not None else None


class Person(_Chat):
    """A Telegram user and their private chat with the bot."""

    def __init__(
        self, client: EmulatorClient, user_id: int, first_name: str, username: str | None
    ) -> None:
        super().__init__(client, user_id)
        self.id = user_id
        self.first_name = first_name
        self.username = username

    def _path(self, action: str) -> str:
        return f"/emulator/api/users/{self.id}/{action}"

    async def send(
        self,
        text: str,
        *,
        reply_to: int | None = None,
        mentioning: Mapping[str, Person] | None = None,
    ) -> int:
        """Send a text; `mentioning`: parts of it that mention people by name (a text_mention,
        as for someone with no username), each at its first occurrence."""
        body: dict[str, Any] = {"text": text, **_mentions(text, mentioning)}
        if reply_to is not None:
            body["reply_to_message_id"] = reply_to
        sent = await self.client.request("POST", self._path("messages"), json=body)
        return int(sent["message_id"])

    async def send_file(
        self, name: str, data: bytes, caption: str | None = None, *, as_photo: bool = False
    ) -> int:
        form = _file_form(name, data, caption, as_photo=as_photo)
        sent = await self.client.request("POST", self._path("messages"), data=form)
        return int(sent["message_id"])

    async def press(self, label: str) -> CallbackAnswer | None:
        """Press the inline button ``label`` on the latest bot message that has it."""
        return await self._press(self.id, label)

    async def click(self, message_id: int, data: str) -> CallbackAnswer | None:
        return await self._click(self.id, message_id, data)

    async def forged_callback(self, message_id: int, data: str) -> CallbackAnswer | None:
        """Send callback data that no button carries, as a modified client could."""
        return await self._click(self.id, message_id, data, forged=True)

    async def pay(self, message_id: int) -> PaymentResult:
        body = {"message_id": message_id, "chat_id": self.chat_id}
        return PaymentResult.from_json(
            await self.client.request("POST", self._path("pay"), json=body)
        )

    async def pay_link(self, url: str) -> PaymentResult:
        return PaymentResult.from_json(
            await self.client.request("POST", self._path("pay_link"), json={"url": url})
        )

    async def renew_subscription(self, charge_id: str) -> PaymentResult:
        body = {"telegram_payment_charge_id": charge_id}
        return PaymentResult.from_json(
            await self.client.request("POST", self._path("renew"), json=body)
        )

    async def payments(self) -> list[dict[str, Any]]:
        body = await self.client.request("GET", self._path("payments"))
        return list(body["payments"])

    async def block(self) -> None:
        await self.client.request("POST", self._path("block"))

    async def unblock(self) -> None:
        await self.client.request("POST", self._path("unblock"))

    async def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard the bot currently shows, if any."""
        keyboard = (await self.client.chat(self.chat_id))["reply_keyboard"]
        if keyboard is None:
            return None
        return [
            [b if isinstance(b, str) else b["text"] for b in row] for row in keyboard["keyboard"]
        ]


class Group(_Chat):
    """A group chat with the bot in it."""

    def __init__(self, client: EmulatorClient, chat_id: int, title: str) -> None:
        super().__init__(client, chat_id)
        self.title = title

    @property
    def id(self) -> int:
        return self.chat_id

    def _path(self, action: str) -> str:
        return f"/emulator/api/groups/{self.chat_id}/{action}"

    async def send(
        self,
        person: Person,
        text: str,
        reply_to: int | None = None,
        *,
        mentioning: Mapping[str, Person] | None = None,
    ) -> int:
        """`person` sends a text to the group; `mentioning` as for `Person.send`."""
        body: dict[str, Any] = {"user_id": person.id, "text": text, **_mentions(text, mentioning)}
        if reply_to is not None:
            body["reply_to_message_id"] = reply_to
        sent = await self.client.request("POST", self._path("messages"), json=body)
        return int(sent["message_id"])

    async def send_file(
        self,
        person: Person,
        name: str,
        data: bytes,
        caption: str | None = None,
        *,
        as_photo: bool = False,
    ) -> int:
        form = _file_form(name, data, caption, as_photo=as_photo)
        form.add_field("user_id", str(person.id))
        sent = await self.client.request("POST", self._path("messages"), data=form)
        return int(sent["message_id"])

    async def press(self, person: Person, label: str) -> CallbackAnswer | None:
        return await self._press(person.id, label)

    async def add_member(self, person: Person) -> None:
        await self.client.request("POST", self._path("members"), json={"user_id": person.id})

    async def migrate(self) -> int:
        """Upgrade to a supergroup; this handle follows the new chat id."""
        body = await self.client.request("POST", self._path("migrate"))
        old_id = self.chat_id
        self.chat_id = int(body["id"])
        self.last_seen_bot_id = 0
        return old_id

    async def remove_bot(self, by: Person | None = None) -> None:
        await self.client.request(
            "POST", self._path("remove_bot"), json={"user_id": by.id} if by else {}
        )


def _mentions(text: str, mentioning: Mapping[str, Person] | None) -> dict[str, Any]:
    """The `text_mentions` field of a message: UTF-16 places, as Telegram counts them."""
    if not mentioning:
        return {}
    mentions = []
    for part, person in mentioning.items():
        start = text.index(part)
        mentions.append(
            {
                "offset": len(text[:start].encode("utf-16-le")) // 2,
                "length": len(part.encode("utf-16-le")) // 2,
                "user_id": person.id,
            }
        )
    return {"text_mentions": mentions}
