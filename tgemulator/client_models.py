"""Values the user-side client returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChatMessage:
    """A message as the chat page shows it."""

    message_id: int
    from_bot: bool
    user_id: int | None
    text: str | None
    html: str | None
    reply_markup: dict[str, Any] | None
    document: dict[str, Any] | None
    photo: dict[str, Any] | None
    invoice: dict[str, Any] | None
    service: dict[str, Any] | None
    edited: bool
    seq: int
    raw: dict[str, Any]

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ChatMessage:
        return cls(
            message_id=view["message_id"],
            from_bot=view["from"] == "bot",
            user_id=view.get("user_id"),
            text=view.get("text"),
            html=view.get("html"),
            reply_markup=view.get("reply_markup"),
            document=view.get("document"),
            photo=view.get("photo"),
            invoice=view.get("invoice"),
            service=view.get("service"),
            edited=bool(view.get("edited")),
            seq=view["seq"],
            raw=view,
        )

    def _inline_buttons(self) -> list[dict[str, Any]]:
        markup = self.reply_markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    @property
    def buttons(self) -> list[str]:
        """Labels of the inline buttons, row by row."""
        return [button["text"] for button in self._inline_buttons()]

    def callback_data(self, label: str) -> str:
        for button in self._inline_buttons():
            if button["text"] == label and "callback_data" in button:
                return str(button["callback_data"])
        raise LookupError(f"no callback button {label!r} on message {self.message_id}")


@dataclass(frozen=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool
    url: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallbackAnswer:
        return cls(data.get("text"), bool(data.get("show_alert")), data.get("url"))


@dataclass(frozen=True)
class PaymentResult:
    status: str
    error_message: str | None = None
    telegram_payment_charge_id: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PaymentResult:
        return cls(
            data["status"], data.get("error_message"), data.get("telegram_payment_charge_id")
        )
