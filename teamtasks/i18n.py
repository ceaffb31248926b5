"""User-facing texts in Russian (the default) and English.

Texts live in `locales/<lang>.json`, flat keys to `str.format` templates; a test keeps the two
files in step. Russian is the fallback for any language we do not speak.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from teamtasks.models.enums import Language

DEFAULT_LANGUAGE = Language.RU


@cache
def catalog(language: Language) -> dict[str, str]:
    source = resources.files("teamtasks.locales").joinpath(f"{language.value}.json")
    data: dict[str, str] = json.loads(source.read_text(encoding="utf-8"))
    return data


def language_from_telegram(code: str | None, default: Language = DEFAULT_LANGUAGE) -> Language:
    """Telegram's `language_code` ("en", "en-GB", "ru", ...) to a language we speak."""
    if code and code.lower().startswith("en"):
        return Language.EN
    if code and code.lower().startswith("ru"):
        return Language.RU
    return default


def gettext(language: Language, key: str, **params: Any) -> str:
    """The text for `key` in `language`, formatted with `params`; a missing key is a bug."""
    template = catalog(language).get(key)
    if template is None:
        raise KeyError(f"no text {key!r} in locale {language.value}")
    return template.format(**params) if params else template
