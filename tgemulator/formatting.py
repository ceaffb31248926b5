"""Turn a method's text, parse_mode and entities into the stored text and entities."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import bad_request
from .html_markup import MarkupError, parse_html
from .markdown_v2 import parse_markdown_v2
from .params import Params
from .textutil import Entity, sort_entities, trim_formatted, utf16_len

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)


@dataclass(frozen=True)
class FormattedText:
    text: str
    entities: list[Entity] = field(default_factory=list)


def _explicit_entities(raw: object, text: str) -> list[Entity]:
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    total = utf16_len(text)
    entities: list[Entity] = []
    for item in raw:
        if not isinstance(item, dict) or item.get("type") not in _ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: Unsupported type specified")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise bad_request('can\'t parse MessageEntity: Field "offset" must be of type Number')
        end = min(offset + length, total)
        if offset >= 0 and end > offset:
            entities.append({**item, "offset": offset, "length": end - offset})
    return sort_entities(entities)


def parse_formatted(raw_text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    mode = (parse_mode or "").strip().lower()
    try:
        if mode == "html":
            return parse_html(raw_text)
        if mode == "markdownv2":
            return parse_markdown_v2(raw_text)
    except MarkupError as error:
        raise bad_request(f"can't parse entities: {error}") from None
    if mode == "markdown":
        raise bad_request(
            "can't parse entities: the emulator does not support the legacy Markdown "
            "parse mode; use HTML or MarkdownV2"
        )
    if mode:
        raise bad_request("unsupported parse_mode")
    return raw_text, []


def format_text(
    params: Params,
    *,
    text_field: str = "text",
    entities_field: str = "entities",
    caption: bool = False,
) -> FormattedText | None:
    """The formatted text, or None for an absent caption; errors as Telegram words them."""
    raw = params.text(text_field)
    if raw is None or raw == "":
        if caption:
            return None
        raise bad_request("message text is empty")
    if params.has(entities_field):
        explicit = params.json_value(entities_field, "can't parse entities JSON object")
        text, entities = raw, _explicit_entities(explicit, raw)
    else:
        text, entities = parse_formatted(raw, params.text("parse_mode"))
    text, entities = trim_formatted(text, entities)
    if not text:
        if caption:
            return None
        raise bad_request("message text is empty")
    limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
    if utf16_len(text) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    return FormattedText(text, entities)
