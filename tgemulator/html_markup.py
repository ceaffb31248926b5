"""``parse_mode=HTML`` as Telegram parses it (TDLib's ``parse_html``).

Error messages and byte offsets follow TDLib, so a bot sees the same ``can't parse
entities`` text it would get from Telegram. As in Telegram, an ``&`` that does not start
a known entity is kept literally, and a bare ``<`` is read as the start of a tag.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .textutil import Entity, sort_entities

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
_SPACES = b" \t\r\n\v\f\x00"


class MarkupError(ValueError):
    """The text cannot be parsed; the message is TDLib's."""


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    output_pos: int


@dataclass
class _Parser:
    src: bytes
    out: bytearray = field(default_factory=bytearray)
    utf16: int = 0
    entities: list[Entity] = field(default_factory=list)
    stack: list[_OpenTag] = field(default_factory=list)

    def at(self, pos: int) -> int:
        return self.src[pos] if pos < len(self.src) else 0

    def is_space(self, pos: int) -> bool:
        return self.at(pos) in _SPACES

    def decode_entity(self, pos: int) -> tuple[int, int] | None:
        """(code point, position after it) for an entity at ``pos``, or None."""
        end = pos + 1
        code = 0
        if self.at(end) == ord("#"):
            end += 1
            if self.at(end) == ord("x"):
                end += 1
                while chr(self.at(end)) in "0123456789abcdefABCDEF" and self.at(end):
                    code = code * 16 + int(chr(self.at(end)), 16)
                    end += 1
            else:
                while chr(self.at(end)).isdigit() and self.at(end) < 128:
                    code = code * 10 + self.at(end) - ord("0")
                    end += 1
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return None
        else:
            while self.at(end) < 128 and chr(self.at(end)).isalpha():
                end += 1
            named = _NAMED_ENTITIES.get(self.src[pos + 1 : end])
            if named is None:
                return None
            code = named
        if self.at(end) == ord(";"):
            end += 1
        return code, end

    def append_code_point(self, code: int) -> None:
        self.out += chr(code).encode("utf-8", "surrogatepass")
        self.utf16 += 2 if code > 0xFFFF else 1

    def parse(self) -> tuple[str, list[Entity]]:
        pos = 0
        while pos < len(self.src):
            byte = self.src[pos]
            if byte == ord("&"):
                decoded = self.decode_entity(pos)
                if decoded is not None:
                    self.append_code_point(decoded[0])
                    pos = decoded[1]
                    continue
            if byte != ord("<"):
                if byte & 0xC0 != 0x80:
                    self.utf16 += 2 if byte >= 0xF0 else 1
                self.out.append(byte)
                pos += 1
                continue
            pos = self.close_tag(pos) if self.at(pos + 1) == ord("/") else self.open_tag(pos)
        if self.stack:
            raise MarkupError(
                f"Can't find end tag corresponding to start tag {self.stack[-1].name}"
            )
        try:
            text = self.out.decode("utf-8")
        except UnicodeDecodeError:
            raise MarkupError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            ) from None
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        return text, sort_entities(self.entities)

    def open_tag(self, begin: int) -> int:
        pos = begin + 1
        while not self.is_space(pos) and self.at(pos) != ord(">"):
            pos += 1
        if self.at(pos) == 0:
            raise MarkupError(f"Unclosed start tag at byte offset {begin}")
        name = self.src[begin + 1 : pos].decode("utf-8", "replace").lower()
        if name not in SUPPORTED_TAGS:
            raise MarkupError(f'Unsupported start tag "{name}" at byte offset {begin}')
        argument = ""
        while self.at(pos) != ord(">"):
            while self.at(pos) and self.is_space(pos):
                pos += 1
            if self.at(pos) == ord(">"):
                break
            attr_begin = pos
            while not self.is_space(pos) and self.at(pos) not in (ord("="), ord(">")):
                pos += 1
            attr_name = self.src[attr_begin:pos].decode("utf-8", "replace")
            if not attr_name:
                raise MarkupError(
                    f'Empty attribute name in the tag "{name}" at byte offset {begin}'
                )
            while self.at(pos) and self.is_space(pos):
                pos += 1
            if self.at(pos) != ord("="):
                if name == "blockquote" and attr_name == "expandable":
                    argument = "expandable"
                    continue
                raise MarkupError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {begin}'
                )
            pos += 1
            while self.at(pos) and self.is_space(pos):
                pos += 1
            if self.at(pos) == 0:
                raise MarkupError(f'Unclosed start tag "{name}" at byte offset {begin}')
            value, pos = self.attribute_value(pos)
            if self.at(pos) == 0:
                raise MarkupError(f"Unclosed start tag at byte offset {begin}")
            argument = _tag_argument(name, attr_name, value, argument)
        if name == "span" and argument != "spoiler":
            raise MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.stack.append(_OpenTag(name, argument, self.utf16, len(self.out)))
        return pos + 1

    def attribute_value(self, pos: int) -> tuple[str, int]:
        quote = self.at(pos)
        if quote not in (ord("'"), ord('"')):
            start = pos
            while self.at(pos) and (chr(self.at(pos)).isalnum() or self.at(pos) in b".-"):
                pos += 1
            if not self.is_space(pos) and self.at(pos) != ord(">"):
                raise MarkupError(f"Unexpected end of name token at byte offset {start}")
            return self.src[start:pos].decode("utf-8", "replace").lower(), pos
        pos += 1
        value = bytearray()
        while self.at(pos) != quote and self.at(pos) != 0:
            if self.at(pos) == ord("&"):
                decoded = self.decode_entity(pos)
                if decoded is not None:
                    value += chr(decoded[0]).encode("utf-8", "surrogatepass")
                    pos = decoded[1]
                    continue
            value.append(self.at(pos))
            pos += 1
        if self.at(pos) == quote:
            pos += 1
        return value.decode("utf-8", "replace"), pos

    def close_tag(self, begin: int) -> int:
        if not self.stack:
            raise MarkupError(f"Unexpected end tag at byte offset {begin}")
        pos = begin + 2
        while not self.is_space(pos) and self.at(pos) != ord(">"):
            pos += 1
        end_name = self.src[begin + 2 : pos].decode("utf-8", "replace").lower()
        while self.at(pos) and self.is_space(pos):
            pos += 1
        if self.at(pos) != ord(">"):
            raise MarkupError(f"Unclosed end tag at byte offset {begin}")
        opened = self.stack[-1]
        if end_name and end_name != opened.name:
            raise MarkupError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.name}>", '
                f'found "</{end_name}>"'
            )
        if self.utf16 > opened.utf16_offset:
            self.add_entity(opened)
        self.stack.pop()
        return pos + 1

    def add_entity(self, opened: _OpenTag) -> None:
        offset, length = opened.utf16_offset, self.utf16 - opened.utf16_offset
        entity: Entity = {"offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
        name, argument = opened.name, opened.argument
        if name in _SIMPLE_TYPES:
            entity["type"] = _SIMPLE_TYPES[name]
        elif name == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise MarkupError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=argument)
        elif name == "a":
            url = argument or self.out[opened.output_pos :].decode("utf-8", "replace")
            if not url:
                return
            entity.update(type="text_link", url=url)
        elif name == "blockquote":
            entity["type"] = "expandable_blockquote" if argument else "blockquote"
        elif name == "pre":
            if last is not None and same_span and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"
                return
            entity["type"] = "pre"
        else:
            if last is not None and same_span and last["type"] == "pre" and argument:
                last["language"] = argument
                return
            entity["type"] = "code"
            if argument:
                entity["language"] = argument
        self.entities.append(entity)


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    return current


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Plain text and entities of ``source``; raises ``MarkupError`` like Telegram."""
    return _Parser(source.encode("utf-8")).parse()
