"""Checks of what users type and of ids that arrive from outside, shared by every service.

Text is stored as given, trimmed: escaping for HTML is the rendering layer's job. Names and
titles are one line; descriptions and comments may have line breaks and tabs. Control
characters (Unicode category Cc, line and paragraph separators, lone surrogates) are refused.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import TypeVar

from teamtasks.services.errors import InvalidInput, NotFound

_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zs", "Mn", "Me"})
_MULTILINE_ALLOWED = frozenset({"\n", "\t"})

MAX_INT4 = 2**31 - 1
MAX_INT8 = 2**63 - 1

E = TypeVar("E", bound=StrEnum)


def clean_line(value: str, *, max_length: int) -> str:
    """One line of text (a name, a title), trimmed and checked; InvalidInput when unusable."""
    text = value.strip()
    _check_length(text, max_length)
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in text):
        if "\n" in text or "\r" in text:
            raise InvalidInput("errors.invalid.line_breaks")
        raise InvalidInput("errors.invalid.control_characters")
    return text


def clean_text(value: str, *, max_length: int) -> str:
    """Free text (a comment, a description): line breaks normalised to \\n, trimmed, checked."""
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    _check_length(text, max_length)
    for char in text:
        if char not in _MULTILINE_ALLOWED and unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise InvalidInput("errors.invalid.control_characters")
    return text


def _check_length(text: str, max_length: int) -> None:
    if len(text) > max_length:
        raise InvalidInput("errors.invalid.too_long", max=max_length)
    if all(unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in text):
        raise InvalidInput("errors.invalid.empty")


def choice(enum_cls: type[E], value: str) -> E:
    """`value` as a member of `enum_cls` (forged callback data gets InvalidInput, not a crash)."""
    try:
        return enum_cls(value)
    except ValueError:
        raise InvalidInput("errors.invalid.choice") from None


def check_id(value: int, missing: NotFound, *, maximum: int = MAX_INT8) -> None:
    """An id or number from outside that no row can have raises `missing` before any query."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise missing
