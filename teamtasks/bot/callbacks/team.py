"""Callback data of the team side: onboarding, companies, invites, members, language.

One class per prefix, with an `action` field. Ids in here come back from the user's client and
are never trusted: the services load rows by (id, company) and refuse anything else. Values
that are not one of the fields' choices fail to parse, and `TEAM_PREFIXES` lets the stale
button handler answer them.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from teamtasks.models.enums import Language, Role


class OnboardingAction(StrEnum):
    CREATE = "create"
    JOIN = "join"
    HELP = "help"


class OnboardingCallback(CallbackData, prefix="onb"):
    action: OnboardingAction


class CompanyAction(StrEnum):
    LIST = "ls"
    SWITCH = "sw"
    RENAME = "rn"
    TIMEZONES = "tz"
    SET_TIMEZONE = "tzs"
    TYPE_TIMEZONE = "tzt"


class CompanyCallback(CallbackData, prefix="co"):
    action: CompanyAction
    company_id: int = 0
    zone: str = ""


class InviteTtl(StrEnum):
    HOUR = "1h"
    DAY = "1d"
    WEEK = "7d"
    MONTH = "30d"

    @property
    def duration(self) -> timedelta:
        return _TTL_DURATIONS[self]


_TTL_DURATIONS = {
    InviteTtl.HOUR: timedelta(hours=1),
    InviteTtl.DAY: timedelta(days=1),
    InviteTtl.WEEK: timedelta(days=7),
    InviteTtl.MONTH: timedelta(days=30),
}


class InviteUses(StrEnum):
    ONE = "1"
    FIVE = "5"
    TWENTY_FIVE = "25"
    UNLIMITED = "any"

    @property
    def max_uses(self) -> int | None:
        return None if self is InviteUses.UNLIMITED else int(self.value)


class InviteAction(StrEnum):
    NEW = "new"
    ROLE = "r"
    TTL = "t"
    CREATE = "c"
    LIST = "ls"
    REVOKE = "rv"


class InviteCallback(CallbackData, prefix="inv"):
    action: InviteAction
    invite_id: int = 0
    role: Role | None = None
    ttl: InviteTtl | None = None
    uses: InviteUses | None = None


class MemberAction(StrEnum):
    PAGE = "p"
    OPEN = "o"
    ROLE = "r"
    REMOVE = "rm"
    REMOVE_CONFIRMED = "rmy"
    LEAVE = "lv"
    LEAVE_CONFIRMED = "lvy"


class MemberCallback(CallbackData, prefix="mem"):
    action: MemberAction
    user_id: int = 0
    role: Role | None = None
    offset: int = 0


class LanguageCallback(CallbackData, prefix="lng"):
    language: Language


TEAM_PREFIXES = tuple(
    f"{cls.__prefix__}{cls.__separator__}"
    for cls in (
        OnboardingCallback,
        CompanyCallback,
        InviteCallback,
        MemberCallback,
        LanguageCallback,
    )
)
"""What callback data of these buttons starts with (for answering garbled or stale ones)."""
