"""Every text exists in Russian and English, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from teamtasks.i18n import catalog, gettext, language_from_telegram
from teamtasks.models.enums import Language


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_locales_have_the_same_keys_and_placeholders() -> None:
    russian, english = catalog(Language.RU), catalog(Language.EN)
    assert russian.keys() == english.keys()
    for key in russian:
        assert _placeholders(russian[key]) == _placeholders(english[key]), key


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("en", Language.EN),
        ("en-GB", Language.EN),
        ("ru", Language.RU),
        ("de", Language.RU),
        (None, Language.RU),
    ],
)
def test_telegram_language_codes_map_to_ours(code: str | None, language: Language) -> None:
    assert language_from_telegram(code) is language


def test_a_missing_text_is_a_loud_bug() -> None:
    with pytest.raises(KeyError, match="no text 'nope' in locale en"):
        gettext(Language.EN, "nope")
