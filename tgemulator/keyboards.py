"""Validation of ``reply_markup`` and look-ups of inline buttons."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .errors import bad_request
from .params import Params

MAX_CALLBACK_DATA_BYTES = 64
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_MARKUP_ERROR = "can't parse reply keyboard markup JSON object"


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup.get(key)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'Field "{key}" of the keyboard must be an Array of Arrays')
    return rows


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be of type String")
    actions = [name for name in _INLINE_ACTIONS if button.get(name) is not None]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None:
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://"))
    ):
        raise bad_request("BUTTON_URL_INVALID")


def _check_reply_button(button: Any) -> None:
    if isinstance(button, str):
        return
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse keyboard button: Text must be of type String")


def reply_markup_param(params: Params) -> dict[str, Any] | None:
    """The validated ``reply_markup`` of a request, or None when absent."""
    if not params.has("reply_markup"):
        return None
    markup = params.json_value("reply_markup", _MARKUP_ERROR)
    if not isinstance(markup, dict):
        raise bad_request(_MARKUP_ERROR)
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard"):
            for button in row:
                _check_inline_button(button)
    elif "keyboard" in markup:
        for row in _rows(markup, "keyboard"):
            for button in row:
                _check_reply_button(button)
    elif not markup.get("remove_keyboard") and not markup.get("force_reply"):
        raise bad_request(_MARKUP_ERROR)
    return markup


def is_inline(markup: dict[str, Any] | None) -> bool:
    return markup is not None and "inline_keyboard" in markup


def inline_buttons(markup: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    if markup is None or "inline_keyboard" not in markup:
        return
    for row in markup["inline_keyboard"]:
        yield from row


def callback_datas(markup: dict[str, Any] | None) -> set[str]:
    return {b["callback_data"] for b in inline_buttons(markup) if "callback_data" in b}


def find_inline_button(markup: dict[str, Any] | None, label: str) -> dict[str, Any] | None:
    return next((b for b in inline_buttons(markup) if b.get("text") == label), None)
