"""Render text plus entities back to HTML for the chat page."""

from __future__ import annotations

import html

from .textutil import Entity, sort_entities

_TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "spoiler": "tg-spoiler",
    "code": "code",
    "pre": "pre",
    "text_link": "a",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
}


def _open_tag(entity: Entity) -> str:
    tag = _TAGS[entity["type"]]
    if tag == "a":
        return f'<a href="{html.escape(entity.get("url", ""), quote=True)}">'
    if entity["type"] == "expandable_blockquote":
        return "<blockquote expandable>"
    if tag == "pre" and entity.get("language"):
        return f'<pre><code class="language-{html.escape(entity["language"])}">'
    return f"<{tag}>"


def _close_tag(entity: Entity) -> str:
    tag = _TAGS[entity["type"]]
    if tag == "pre" and entity.get("language"):
        return "</code></pre>"
    return f"</{tag}>"


def render_html(text: str, entities: list[Entity]) -> str:
    """HTML whose tags close and reopen where entities overlap without nesting."""
    styled = [e for e in sort_entities(entities) if e["type"] in _TAGS]
    parts: list[str] = []
    stack: list[Entity] = []
    position = 0
    for char in [*text, ""]:
        active = [e for e in styled if e["offset"] <= position < e["offset"] + e["length"]]
        keep = 0
        while keep < len(stack) and keep < len(active) and stack[keep] is active[keep]:
            keep += 1
        parts.extend(_close_tag(entity) for entity in reversed(stack[keep:]))
        parts.extend(_open_tag(entity) for entity in active[keep:])
        stack = active
        parts.append(html.escape(char, quote=False))
        position += 2 if ord(char or "\0") > 0xFFFF else 1
    return "".join(parts)
