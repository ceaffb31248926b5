"""parse_mode handling: HTML and MarkdownV2 as Telegram parses them, and the HTML rendering."""

from __future__ import annotations

import pytest

from tgemulator.client import EmulatorClient
from tgemulator.html_markup import MarkupError, parse_html
from tgemulator.html_render import render_html
from tgemulator.markdown_v2 import parse_markdown_v2
from tgemulator.textutil import detect_entities, trim_formatted

from .support import RawApi


def test_html_tags_become_entities_with_utf16_offsets() -> None:
    text, entities = parse_html('😀 <b>bold <i>both</i></b> <a href="https://t.me">link</a>')
    assert text == "😀 bold both link"
    assert entities == [
        {"offset": 3, "length": 9, "type": "bold"},
        {"offset": 8, "length": 4, "type": "italic"},
        {"offset": 13, "length": 4, "type": "text_link", "url": "https://t.me"},
    ]


def test_html_entities_are_decoded_and_a_bare_ampersand_is_kept() -> None:
    text, entities = parse_html("a &lt;b&gt; &amp; &quot;c&quot; &#1071; &#x44F; Tom & Jerry")
    assert text == 'a <b> & "c" Я я Tom & Jerry'
    assert entities == []


def test_html_pre_with_language_spoiler_and_blockquote() -> None:
    source = (
        '<pre><code class="language-python">x = 1</code></pre>'
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        "<blockquote expandable>q</blockquote><code>c</code>"
    )
    text, entities = parse_html(source)
    assert text == "x = 1stqc"
    assert entities == [
        {"offset": 0, "length": 5, "type": "pre", "language": "python"},
        {"offset": 5, "length": 1, "type": "spoiler"},
        {"offset": 6, "length": 1, "type": "spoiler"},
        {"offset": 7, "length": 1, "type": "expandable_blockquote"},
        {"offset": 8, "length": 1, "type": "code"},
    ]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Я <br/>", 'Unsupported start tag "br/" at byte offset 3'),
        ("<b>x", "Can't find end tag corresponding to start tag b"),
        (
            "<b><i>x</b></i>",
            'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        ),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a<b", "Unclosed start tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_html_errors_match_telegram(source: str, error: str) -> None:
    with pytest.raises(MarkupError) as caught:
        parse_html(source)
    assert str(caught.value) == error


def test_markdown_v2_entities_and_escapes() -> None:
    text, entities = parse_markdown_v2(
        r"*bold* _it_ __under__ ~s~ ||sp|| `c` [t](https://t.me) 1\.5"
    )
    assert text == "bold it under s sp c t 1.5"
    assert [e["type"] for e in entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]
    pre_text, pre_entities = parse_markdown_v2("```python\nprint(1)```")
    assert pre_text == "print(1)"
    assert pre_entities == [{"type": "pre", "offset": 0, "length": 8, "language": "python"}]


def test_markdown_v2_errors_match_telegram() -> None:
    with pytest.raises(MarkupError, match=r"Character '\.' is reserved"):
        parse_markdown_v2("Done.")
    with pytest.raises(MarkupError, match="Can't find end of Bold entity at byte offset 0"):
        parse_markdown_v2("*open")


def test_user_text_entities_follow_telegram_rules() -> None:
    text = "/start@teamtasks_bot hi @anna_k, /x/y email@host.com @ab"
    kinds = [(e["type"], e["offset"], e["length"]) for e in detect_entities(text)]
    assert kinds == [("bot_command", 0, 20), ("mention", 24, 7)]


def test_trim_keeps_entities_on_their_characters() -> None:
    text, entities = trim_formatted("  \nhello  ", [{"type": "bold", "offset": 3, "length": 7}])
    assert text == "hello"
    assert entities == [{"type": "bold", "offset": 0, "length": 5}]


def test_render_html_round_trips_and_escapes() -> None:
    text, entities = parse_html(
        '<b>1 &lt; 2 <i>&amp;</i></b> <a href="https://x.io/?a=1&amp;b">l</a>'
    )
    assert render_html(text, entities) == (
        '<b>1 &lt; 2 <i>&amp;</i></b> <a href="https://x.io/?a=1&amp;b">l</a>'
    )
    overlapping = [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "italic", "offset": 2, "length": 2},
    ]
    assert render_html("abcd", overlapping) == "<b>ab<i>c</i></b><i>d</i>"


async def test_parse_errors_are_answered_as_bad_request(
    api: RawApi, client: EmulatorClient
) -> None:
    anna = await client.create_user("Anna")
    await anna.send("hi")
    reply = await api("sendMessage", chat_id=anna.id, text="1 < 2", parse_mode="HTML")
    assert reply.status == 400
    assert reply.description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 2'
    )
    reply = await api("sendMessage", chat_id=anna.id, text="Done.", parse_mode="MarkdownV2")
    assert reply.description.startswith("Bad Request: can't parse entities: Character '.'")
    reply = await api("sendMessage", chat_id=anna.id, text="*x*", parse_mode="Markdown")
    assert reply.status == 400
    reply = await api("sendMessage", chat_id=anna.id, text="<b> </b>", parse_mode="HTML")
    assert reply.description == "Bad Request: message text is empty"
    reply = await api("sendMessage", chat_id=anna.id, text="x", parse_mode="BBCode")
    assert reply.description == "Bad Request: unsupported parse_mode"
