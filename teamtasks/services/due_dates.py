"""Due dates typed as people say them, in Russian or English, read in the company's time zone.

"завтра 18:00", "через 3 дня", "в пятницу", "tomorrow 6pm", "next monday 10:00", "2026-12-01",
"01.12.2026" (numeric dates are day first). A date without a time means the END OF THAT DAY:
23:59 in the company's zone. A time alone ("18:00") is its next occurrence. Past moments and
anything vaguer than a day ("December", "2027") are refused. The result is an aware UTC
datetime; `format_due` shows it back with weekday, date, time and zone, so nothing is ambiguous.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser  # type: ignore[import-untyped]

from teamtasks.i18n import gettext
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Language
from teamtasks.services.errors import InvalidInput

END_OF_DAY = time(23, 59)
"""The time a due date without a time gets, in the company's zone."""
MAX_INPUT = 64
LANGUAGES = ["ru", "en"]

_HOUR_WITH_PART_OF_DAY = re.compile(
    r"(?<!\w)(в\s+|во\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(утра|дня|вечера|ночи)(?!\w)", re.IGNORECASE
)
_BARE_HOUR = re.compile(
    r"(?<!\w)(в|во|at)\s+(\d{1,2})(?:\s*(?:ч|час|часа|часов|h))?(?=\s|$)", re.IGNORECASE
)
_CLOCK = re.compile(r"\d:\d\d(?!\d)|\d\s*(?:am|pm)\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def parse_due(text: str, *, timezone: str, now: datetime | None = None) -> datetime:
    """The moment `text` names, read in `timezone`, as aware UTC; InvalidInput when unusable."""
    raw = _SPACES.sub(" ", text).strip()
    if not raw or len(raw) > MAX_INPUT:
        raise InvalidInput("errors.invalid.due_date")
    zone = ZoneInfo(timezone)
    now = now or utcnow()
    prepared = _prepare(raw)
    parser = DateDataParser(languages=LANGUAGES, settings=_settings(timezone, now, zone))
    data = parser.get_date_data(prepared)
    found: datetime | None = data.date_obj
    if found is None:
        raise InvalidInput("errors.invalid.due_date")
    if data.period == "time":
        local = found if found.tzinfo else found.replace(tzinfo=zone)
    elif data.period in ("day", "week"):
        if _CLOCK.search(prepared):
            raise InvalidInput("errors.invalid.due_date")  # a time was typed but not understood
        day = found.astimezone(zone).date() if found.tzinfo else found.date()
        local = datetime.combine(day, END_OF_DAY, tzinfo=zone)
    else:
        raise InvalidInput("errors.invalid.due_too_vague")
    due = local.astimezone(UTC)
    if due <= now:
        raise InvalidInput("errors.invalid.due_in_past")
    return due


def _settings(timezone: str, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "TIMEZONE": timezone,
        "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "RETURN_TIME_AS_PERIOD": True,
        "DATE_ORDER": "DMY",
    }


def _prepare(text: str) -> str:
    """Spell hours the way dateparser reads them: "в 6 вечера" -> "18:00", "в 18" -> "в 18:00"."""
    text = _HOUR_WITH_PART_OF_DAY.sub(_part_of_day, text)
    return _BARE_HOUR.sub(lambda match: f"{match[1]} {int(match[2]):02d}:00", text)


def _part_of_day(match: re.Match[str]) -> str:
    preposition, hour, minute = match[1] or "", int(match[2]), int(match[3] or 0)
    part = match[4].lower()
    if part == "дня" and not preposition:
        return match[0]  # "через 3 дня" is three days, not 3 p.m.
    if part in ("дня", "вечера") and hour < 12:
        hour += 12
    elif part in ("утра", "ночи") and hour == 12:
        hour = 0
    return f"{preposition}{hour:02d}:{minute:02d}"


def format_due(due_at: datetime, timezone: str, language: Language) -> str:
    """The due moment in the company's zone: "Fri, 27 Nov 2026, 18:00 MSK" / "пт, 27 ноября..."."""
    local = due_at.astimezone(ZoneInfo(timezone))
    weekdays = gettext(language, "calendar.weekdays").split(",")
    months = gettext(language, "calendar.months").split(",")
    zone = local.tzname() or ""
    if zone[:1] in ("+", "-"):
        zone = f"UTC{zone}"
    return gettext(
        language,
        "due.format",
        weekday=weekdays[local.weekday()],
        day=local.day,
        month=months[local.month - 1],
        year=local.year,
        time=local.strftime("%H:%M"),
        zone=zone,
    )


def warm_up() -> None:
    """Load dateparser's language data now (about 0.1 s) rather than on the first due date."""
    DateDataParser(languages=LANGUAGES).get_date_data("завтра 18:00 tomorrow")
