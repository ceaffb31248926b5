"""The emulator's records: users, chats, messages, files, invoices and payments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class UserRecord:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked: bool = False
    """The user blocked the bot."""
    started: bool = False
    """The user has written to the bot, so the bot may write to them."""


@dataclass
class MessageRecord:
    chat_id: int
    message_id: int
    sender_id: int
    from_bot: bool
    date: int
    content: dict[str, Any]
    """Bot API ``Message`` fields other than ids, sender, chat, dates and the reply."""
    reply_to: int | None = None
    edit_date: int | None = None
    seq: int = 0
    """The chat's change counter when this message last changed."""
    markup: dict[str, Any] | None = None
    """``reply_markup`` as sent, of any kind (the Bot API echoes only inline ones)."""


@dataclass
class ChatRecord:
    id: int
    type: str
    title: str | None = None
    member_ids: list[int] = field(default_factory=list)
    bot_status: str = "member"
    migrated_to: int | None = None
    next_message_id: int = 1
    seq: int = 0
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    deleted: dict[int, int] = field(default_factory=dict)
    """message_id -> seq of its deletion."""
    reply_keyboard: dict[str, Any] | None = None
    instance: str = ""
    """``chat_instance`` reported in callback queries from this chat."""

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    kind: str
    size: int
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    data: bytes = field(default=b"", repr=False)


@dataclass
class InvoiceRecord:
    title: str
    description: str
    payload: str
    currency: str
    prices: list[dict[str, Any]]
    provider_token: str = ""
    subscription_period: int | None = None
    start_parameter: str = ""
    chat_id: int | None = None
    message_id: int | None = None
    slug: str | None = None

    @property
    def total_amount(self) -> int:
        return sum(int(price["amount"]) for price in self.prices)


@dataclass
class ChargeRecord:
    charge_id: str
    user_id: int
    currency: str
    total_amount: int
    payload: str
    provider_charge_id: str
    invoice_ref: str = ""
    """Key of the paid invoice in ``Store.invoices`` (a link slug or chat:message)."""
    refunded: bool = False
    subscription_period: int | None = None
    expiration_date: int | None = None


@dataclass(frozen=True)
class RecordedCall:
    """One Bot API call the bot made, for assertions in tests."""

    method: str
    chat_id: int | None
    at: float
    ok: bool
    error_code: int | None
