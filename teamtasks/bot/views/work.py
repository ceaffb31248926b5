"""Shared pieces of the work side's screens: a screen, safe user text, buttons, paging, prompts.

Telegram counts a message's 4096 characters in UTF-16 code units after the HTML is parsed, so
user text is clipped to a budget of UTF-16 units before it is escaped; every screen adds its
budgets up to less than the limit.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from teamtasks.i18n import gettext
from teamtasks.models.enums import Language
from teamtasks.services.paging import Page

LABEL_UNITS = 48
"""A button label's budget."""
NAME_UNITS = 64
"""A person's name in a text."""


@dataclass(frozen=True)
class Screen:
    """A message's HTML text and its inline keyboard, sent or edited in place alike."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def t(language: Language, key: str, **params: Any) -> str:
    """A text of the locales."""
    return gettext(language, key, **params)


def utf16_units(text: str) -> int:
    # "surrogatepass": a lone surrogate (JSON allows one) counts as the one unit it is.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clip(text: str, units: int) -> str:
    """Raw text cut to at most `units` UTF-16 code units, with an ellipsis when cut."""
    if utf16_units(text) <= units:
        return text
    kept: list[str] = []
    used = 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > units - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept).rstrip() + "…"


def safe(text: str, units: int) -> str:
    """User text clipped to its budget and escaped for HTML."""
    return html.escape(clip(text, units), quote=False)


def button(text: str, callback: CallbackData) -> InlineKeyboardButton:
    """A callback button; the label is plain text (Telegram does not parse it)."""
    return InlineKeyboardButton(text=clip(text, LABEL_UNITS), callback_data=callback.pack())


def marked(language: Language, text: str, current: bool) -> str:
    """A choice's label, marked when it is the current value."""
    return t(language, "work.button.current", label=text) if current else text


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def paging_row(
    page: Page[Any], language: Language, to: Callable[[int], CallbackData]
) -> list[InlineKeyboardButton]:
    """Previous and next buttons of a paged list (empty on a single page)."""
    row: list[InlineKeyboardButton] = []
    if page.previous_offset is not None:
        row.append(button(t(language, "work.button.previous"), to(page.previous_offset)))
    if page.next_offset is not None:
        row.append(button(t(language, "work.button.next"), to(page.next_offset)))
    return row


def page_range(page: Page[Any], language: Language) -> str:
    """ " · 11–20" for the items a page shows ("" for an empty page)."""
    if not page.items:
        return ""
    first = page.offset + 1
    return t(language, "work.list.range", first=first, last=first + len(page.items) - 1)


def local_time(moment: datetime, timezone: str) -> str:
    """A moment in the company's zone, short: "26.11.2026 14:30"."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


def notice(language: Language, key: str, **params: Any) -> Screen:
    """A plain message without buttons."""
    return Screen(t(language, key, **params))


def group_question(screen: Screen, user_id: int, name: str, language: Language) -> str:
    """A question asked in a group: it mentions the person it is for (so that Telegram's
    selective ForceReply targets them) and asks for a reply to it."""
    mention = f'<a href="tg://user?id={user_id}">{safe(name, NAME_UNITS)}</a>'
    return t(language, "work.ask.in_group", mention=mention, question=screen.text)
