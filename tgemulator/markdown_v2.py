"""``parse_mode=MarkdownV2`` as Telegram parses it (TDLib's ``parse_markdown_v2``).

Supported: ``*bold*``, ``_italic_``, ``__underline__``, ``~strikethrough~``,
``||spoiler||``, ``\\`code\\```, ``\\`\\`\\`pre\\`\\`\\``` (with a language), ``[text](url)``
and ``\\`` escapes. Block quotations (``>`` at a line start) and custom emoji are not:
``>`` is rejected as a reserved character.
"""

from __future__ import annotations

from dataclasses import dataclass

from .html_markup import MarkupError
from .textutil import Entity, sort_entities

_RESERVED = "_*[]()~`>#+-=|{}.!"
_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


@dataclass
class _Open:
    type: str
    argument: str
    utf16_offset: int
    byte_offset: int
    output_pos: int


def _reserved_error(char: str) -> MarkupError:
    return MarkupError(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


def _closes(opened: _Open, src: bytes, pos: int) -> bool:
    char = src[pos : pos + 1]
    following = src[pos + 1 : pos + 2]
    closing = {
        "bold": char == b"*",
        "italic": char == b"_" and following != b"_",
        "code": char == b"`",
        "pre": src[pos : pos + 3] == b"```",
        "text_link": char == b"]",
        "underline": src[pos : pos + 2] == b"__",
        "strikethrough": char == b"~",
        "spoiler": src[pos : pos + 2] == b"||",
    }
    return closing[opened.type]


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    src = source.encode("utf-8")
    out = bytearray()
    utf16 = 0
    entities: list[Entity] = []
    stack: list[_Open] = []
    pos = 0
    while pos < len(src):
        byte = src[pos]
        following = src[pos + 1] if pos + 1 < len(src) else 0
        if byte == ord("\\") and 0 < following <= 126:
            out.append(following)
            utf16 += 1
            pos += 2
            continue
        reserved = "`" if stack and stack[-1].type in ("code", "pre") else _RESERVED
        if chr(byte) not in reserved:
            if byte & 0xC0 != 0x80:
                utf16 += 2 if byte >= 0xF0 else 1
            out.append(byte)
            pos += 1
            continue
        if stack and _closes(stack[-1], src, pos):
            pos = _close(stack.pop(), src, pos, out, utf16, entities)
            continue
        opened, pos = _open(src, pos, utf16, len(out))
        stack.append(opened)
    if stack:
        name = _TYPE_NAMES[stack[-1].type]
        raise MarkupError(f"Can't find end of {name} entity at byte offset {stack[-1].byte_offset}")
    return out.decode("utf-8"), sort_entities(entities)


def _open(src: bytes, pos: int, utf16: int, output_pos: int) -> tuple[_Open, int]:
    char = chr(src[pos])
    begin = pos
    argument = ""
    if char == "_":
        kind = "underline" if src[pos + 1 : pos + 2] == b"_" else "italic"
        pos += 2 if kind == "underline" else 1
    elif char in "*~[":
        kind = {"*": "bold", "~": "strikethrough", "[": "text_link"}[char]
        pos += 1
    elif char == "|":
        if src[pos + 1 : pos + 2] != b"|":
            raise _reserved_error(char)
        kind = "spoiler"
        pos += 2
    elif char == "`":
        if src[pos : pos + 3] != b"```":
            return _Open("code", "", utf16, begin, output_pos), pos + 1
        kind = "pre"
        pos += 3
        language_end = pos
        while language_end < len(src) and src[language_end] not in b" \t\r\n`":
            language_end += 1
        if language_end > pos and language_end < len(src) and src[language_end] != ord("`"):
            argument = src[pos:language_end].decode("utf-8", "replace")
            pos = language_end
        if src[pos : pos + 1] in (b"\n", b"\r"):
            pair = src[pos : pos + 2]
            pos += 2 if pair in (b"\r\n", b"\n\r") else 1
    else:
        raise _reserved_error(char)
    return _Open(kind, argument, utf16, begin, output_pos), pos


def _close(
    opened: _Open, src: bytes, pos: int, out: bytearray, utf16: int, entities: list[Entity]
) -> int:
    skip = utf16 == opened.utf16_offset
    entity: Entity = {"type": opened.type, "offset": opened.utf16_offset}
    entity["length"] = utf16 - opened.utf16_offset
    if opened.type in ("underline", "spoiler"):
        pos += 2
    elif opened.type == "pre":
        pos += 3
        if opened.argument:
            entity["language"] = opened.argument
    elif opened.type == "text_link":
        pos += 1
        if src[pos : pos + 1] != b"(":
            url = out[opened.output_pos :].decode("utf-8", "replace")
        else:
            pos += 1
            url_begin = pos
            url_bytes = bytearray()
            while pos < len(src) and src[pos] != ord(")"):
                following = src[pos + 1] if pos + 1 < len(src) else 0
                if src[pos] == ord("\\") and 0 < following <= 126:
                    url_bytes.append(following)
                    pos += 2
                    continue
                url_bytes.append(src[pos])
                pos += 1
            if pos >= len(src):
                raise MarkupError(f"Can't find end of a URL at byte offset {url_begin}")
            pos += 1
            url = url_bytes.decode("utf-8", "replace")
        skip = skip or not url
        entity["url"] = url
    else:
        pos += 1
    if not skip:
        entities.append(entity)
    return pos
