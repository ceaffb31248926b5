"""Due dates typed in Russian or English, read in the company's zone, shown back unambiguously.

"Now" is fixed: Thursday 26 November 2026, 14:30 in Moscow (11:30 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from teamtasks.models.enums import Language
from teamtasks.services.due_dates import format_due, parse_due, warm_up
from teamtasks.services.errors import InvalidInput
from tests.services.helpers import NOW

MOSCOW = "Europe/Moscow"


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


END_OF = {  # 23:59 in Moscow is 20:59 UTC
    "today": utc(11, 26, 20, 59),
    "tomorrow": utc(11, 27, 20, 59),
    "sunday": utc(11, 29, 20, 59),
    "1 december": utc(12, 1, 20, 59),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "завтра 18:00" / "tomorrow 18:00"
        ("завтра 18:00", utc(11, 27, 15)),
        ("tomorrow 18:00", utc(11, 27, 15)),
        ("Завтра в 18", utc(11, 27, 15)),
        ("tomorrow at 18", utc(11, 27, 15)),
        # "tomorrow 6pm" / "завтра в 6 вечера"
        ("tomorrow 6pm", utc(11, 27, 15)),
        ("tomorrow at 6 pm", utc(11, 27, 15)),
        ("завтра в 6 вечера", utc(11, 27, 15)),
        ("завтра в 9 утра", utc(11, 27, 6)),
        # "через 3 дня" / "in 3 days": a day without a time, so its end
        ("через 3 дня", END_OF["sunday"]),
        ("in 3 days", END_OF["sunday"]),
        ("через 3 дня в 10:00", utc(11, 29, 7)),
        # "2026-12-01" and other ways to write that day
        ("2026-12-01", END_OF["1 december"]),
        ("01.12.2026", END_OF["1 december"]),
        ("1 декабря", END_OF["1 december"]),
        ("December 1", END_OF["1 december"]),
        ("2026-12-01 10:00", utc(12, 1, 7)),
        # "в пятницу" / "on friday": the coming Friday, tomorrow here
        ("в пятницу", END_OF["tomorrow"]),
        ("friday", END_OF["tomorrow"]),
        ("в пятницу в 15:00", utc(11, 27, 12)),
        # "next monday 10:00" / "в понедельник в 10:00"
        ("next monday 10:00", utc(11, 30, 7)),
        ("next monday 10am", utc(11, 30, 7)),
        ("в понедельник в 10:00", utc(11, 30, 7)),
        ("понедельник 10:00", utc(11, 30, 7)),
        # today, a time alone, hours from now
        ("сегодня", END_OF["today"]),
        ("today", END_OF["today"]),
        ("18:00", utc(11, 26, 15)),
        ("10:00", utc(11, 27, 7)),  # already past today, so tomorrow
        ("через 2 часа", utc(11, 26, 13, 30)),
        ("in 2 hours", utc(11, 26, 13, 30)),
    ],
)
def test_natural_due_dates_in_moscow(text: str, expected: datetime) -> None:
    assert parse_due(text, timezone=MOSCOW, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "errors.invalid.due_date"),
        ("   ", "errors.invalid.due_date"),
        ("asdf", "errors.invalid.due_date"),
        ("когда-нибудь", "errors.invalid.due_date"),
        ("😀", "errors.invalid.due_date"),
        ("<b>", "errors.invalid.due_date"),
        ("x" * 10_000, "errors.invalid.due_date"),
        ("завтра 18:00 " * 10, "errors.invalid.due_date"),
        ("31.02.2027", "errors.invalid.due_date"),
        ("tomorrow 25:00", "errors.invalid.due_date"),
        ("вчера", "errors.invalid.due_in_past"),
        ("yesterday", "errors.invalid.due_in_past"),
        ("2026-11-25", "errors.invalid.due_in_past"),
        ("2020-01-01 10:00", "errors.invalid.due_in_past"),
        ("December", "errors.invalid.due_too_vague"),
        ("2027", "errors.invalid.due_too_vague"),
    ],
)
def test_garbage_and_the_past_are_refused(text: str, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_due(text, timezone=MOSCOW, now=NOW)
    assert refused.value.key == key


def test_the_company_zone_decides_including_daylight_saving() -> None:
    # Saturday 7 March 2026, 20:00 in New York (EST); clocks go forward on Sunday 8 March.
    now = utc(3, 8, 1)
    assert parse_due("tomorrow 6pm", timezone="America/New_York", now=now) == utc(3, 8, 22)
    assert parse_due("завтра", timezone="America/New_York", now=now) == utc(3, 9, 3, 59)
    assert parse_due("tomorrow 6pm", timezone="Asia/Tokyo", now=now) == utc(3, 9, 9)


def test_now_defaults_to_the_real_clock() -> None:
    assert parse_due("2999-01-01", timezone=MOSCOW) == datetime(2999, 1, 1, 20, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        (Language.RU, MOSCOW, "пт, 27 ноября 2026, 18:00 MSK"),
        (Language.EN, MOSCOW, "Fri, 27 Nov 2026, 18:00 MSK"),
        (Language.EN, "America/New_York", "Fri, 27 Nov 2026, 10:00 EST"),
        (Language.RU, "Asia/Dubai", "пт, 27 ноября 2026, 19:00 UTC+04"),
        (Language.EN, "UTC", "Fri, 27 Nov 2026, 15:00 UTC"),
    ],
)
def test_due_dates_are_shown_with_weekday_date_time_and_zone(
    language: Language, zone: str, expected: str
) -> None:
    assert format_due(utc(11, 27, 15), zone, language) == expected


def test_what_is_parsed_is_shown_back_as_typed() -> None:
    due = parse_due("в пятницу в 15:00", timezone=MOSCOW, now=NOW)
    assert format_due(due, MOSCOW, Language.RU) == "пт, 27 ноября 2026, 15:00 MSK"
    due = parse_due("2026-12-01", timezone=MOSCOW, now=NOW)
    assert format_due(due, MOSCOW, Language.EN) == "Tue, 1 Dec 2026, 23:59 MSK"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("завтра в 3 дня", utc(11, 27, 12)),
        ("через 2 дня", utc(11, 28, 20, 59)),
        ("завтра 7 вечера", utc(11, 27, 16)),
        ("завтра в 7:30 утра", utc(11, 27, 4, 30)),
    ],
)
def test_russian_parts_of_the_day(text: str, expected: datetime) -> None:
    assert parse_due(text, timezone=MOSCOW, now=NOW) == expected


def test_warming_up_is_harmless() -> None:
    warm_up()
    assert parse_due("завтра 18:00", timezone=MOSCOW, now=NOW) == utc(11, 27, 15)
