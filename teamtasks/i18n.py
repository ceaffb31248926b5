"""User-facing texts in Russian (the default) and English.

Texts live in `locales/<lang>/*.json` (one file per area of the product, merged; a key may be
defined once), flat keys to `str.format` templates; a test keeps the languages in step.
Russian is the fallback for any language we do not speak.
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
    merged: dict[str, str] = {}
    folder = resources.files("teamtasks.locales").joinpath(language.value)
    for source in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if not source.name.endswith(".json"):
            continue
        texts: dict[str, str] = json.loads(source.read_text(encoding="utf-8"))
        if twice := merged.keys() & texts.keys():
            raise ValueError(f"{language.value}/{source.name} defines again: {sorted(twice)}")
        merged.update(texts)
    return merged


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
