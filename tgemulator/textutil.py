"""UTF-16 arithmetic and the entities Telegram detects in what users type.

Telegram measures text and entity offsets in UTF-16 code units, so an emoji outside the
Basic Multilingual Plane counts twice while a Cyrillic letter counts once.
"""

from __future__ import annotations

from typing import Any

Entity = dict[str, Any]

_WHITESPACE = " \t\r\n"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    data = text.encode("utf-16-le")
    return data[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="replace")


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def trim_formatted(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip surrounding whitespace as Telegram does, keeping entities on the same characters."""
    stripped_left = text.lstrip(_WHITESPACE)
    shift = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip(_WHITESPACE)
    total = utf16_len(result)
    kept: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return result, sort_entities(kept)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _is_name_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _scan_name(text: str, start: int) -> int:
    end = start
    while end < len(text) and _is_name_char(text[end]):
        end += 1
    return end


def _command_at(text: str, slash: int) -> int | None:
    """End index of a bot command starting at ``slash``, following TDLib's matcher."""
    if slash > 0 and (_is_word_char(text[slash - 1]) or text[slash - 1] in "/<>"):
        return None
    end = _scan_name(text, slash + 1)
    if not 1 <= end - slash - 1 <= 64:
        return None
    if end < len(text) and text[end] == "@":
        mention_end = _scan_name(text, end + 1)
        if not 3 <= mention_end - end - 1 <= 32:
            return None
        end = mention_end
    if end < len(text) and (_is_word_char(text[end]) or text[end] in "/<>"):
        return None
    return end


def _mention_at(text: str, at: int) -> int | None:
    if at > 0 and _is_word_char(text[at - 1]):
        return None
    end = _scan_name(text, at + 1)
    if not 5 <= end - at - 1 <= 32:
        return None
    if end < len(text) and _is_word_char(text[end]):
        return None
    return end


def detect_entities(text: str) -> list[Entity]:
    """``bot_command`` and ``mention`` entities as Telegram sets them on a user's message."""
    entities: list[Entity] = []
    index = 0
    while index < len(text):
        char = text[index]
        end: int | None = None
        kind = ""
        if char == "/":
            end, kind = _command_at(text, index), "bot_command"
        elif char == "@":
            end, kind = _mention_at(text, index), "mention"
        if end is None:
            index += 1
            continue
        entities.append(
            {
                "type": kind,
                "offset": utf16_len(text[:index]),
                "length": utf16_len(text[index:end]),
            }
        )
        index = end
    return entities


def entity_text(text: str, entity: Entity) -> str:
    return utf16_slice(text, entity["offset"], entity["length"])
