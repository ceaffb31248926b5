"""The people a message names by text mentions: Telegram's text_mention entities, set when a
person picks someone with no username from the app's list, which carry that user."""

from __future__ import annotations

from aiogram.enums import MessageEntityType
from aiogram.types import Message

from teamtasks.services.quick_add import TextMention


def text_mentions(message: Message, text: str) -> list[TextMention]:
    """The text mentions within `text`, the end of the message's text or caption (a command's
    arguments, or all of it), placed by indices of `text` (Telegram counts in UTF-16 code
    units)."""
    if message.text is not None:
        whole, entities = message.text, message.entities
    else:
        whole, entities = message.caption or "", message.caption_entities
    if not text or not whole.endswith(text):
        return []
    skipped = _units(whole) - _units(text)
    mentions = []
    for entity in entities or ():
        offset = entity.offset - skipped
        if entity.type != MessageEntityType.TEXT_MENTION or entity.user is None or offset < 0:
            continue
        start, end = _index(text, offset), _index(text, offset + entity.length)
        mentions.append(TextMention(start, end, entity.user.id))
    return mentions


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _index(text: str, units: int) -> int:
    """The index of `text` that many UTF-16 code units in."""
    return len(text.encode("utf-16-le")[: units * 2].decode("utf-16-le"))
