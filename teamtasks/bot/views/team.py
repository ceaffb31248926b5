"""What the team side shows: onboarding, help, language and companies, and the pieces that
team_invites and team_members share. Every user-given value is escaped (HTML parse mode)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from teamtasks.bot.callbacks.team import (
    CompanyAction,
    CompanyCallback,
    InviteAction,
    InviteCallback,
    LanguageCallback,
    OnboardingAction,
    OnboardingCallback,
)
from teamtasks.i18n import gettext
from teamtasks.models import Company, User
from teamtasks.models.enums import Language, Role
from teamtasks.services.actors import RIGHTS, Actor, Permission
from teamtasks.services.companies import TRIAL_DAYS, CompanyChoice
from teamtasks.services.invites import JoinResult

TIMEZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Europe/Minsk",
    "Asia/Almaty",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "UTC",
)


@dataclass(frozen=True)
class View:
    """One message: HTML text and, optionally, its inline keyboard."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """An inline button; `text` is plain (Telegram does not parse button labels)."""
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def keyboard(*rows: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """An inline keyboard of the non-empty rows."""
    return InlineKeyboardMarkup(inline_keyboard=[list(row) for row in rows if row])


def role_name(language: Language, role: Role) -> str:
    """A role as the user's language names it."""
    return gettext(language, f"role.{role.value}")


def company_name(name: str) -> str:
    """A company name for HTML text."""
    return escape(name)


# Onboarding and help


def _greeting(language: Language, user: User) -> str:
    return gettext(language, "start.greeting", name=escape(user.first_name))


def welcome(language: Language, user: User) -> View:
    """/start for someone in no company: the greeting, then create or join."""
    text = f"{_greeting(language, user)}\n\n{gettext(language, 'team.onb.choose')}"
    return View(text, keyboard(*_onboarding_rows(language, first=True)))


def menu(language: Language, user: User, actor: Actor) -> View:
    """/start for a member: their active company and role, and where to go next."""
    current = gettext(
        language,
        "team.onb.current",
        company=company_name(actor.company_name),
        role=role_name(language, actor.role),
    )
    text = f"{_greeting(language, user)}\n\n{current}"
    return View(text, keyboard(*_onboarding_rows(language, first=False)))


def _onboarding_rows(language: Language, *, first: bool) -> list[list[InlineKeyboardButton]]:
    create = "team.btn.create_company" if first else "team.btn.create_another"
    rows = [[button(gettext(language, create), OnboardingCallback(action=OnboardingAction.CREATE))]]
    if first:
        join = OnboardingCallback(action=OnboardingAction.JOIN)
        rows.append([button(gettext(language, "team.btn.join"), join)])
    else:
        companies = CompanyCallback(action=CompanyAction.LIST)
        rows.append([button(gettext(language, "team.btn.all_companies"), companies)])
    help_button = OnboardingCallback(action=OnboardingAction.HELP)
    rows.append([button(gettext(language, "team.btn.help"), help_button)])
    return rows


def ask_company_name(language: Language) -> View:
    return View(gettext(language, "team.onb.ask_name"))


def company_created(language: Language, company: Company) -> View:
    text = gettext(
        language, "team.onb.created", company=company_name(company.name), days=TRIAL_DAYS
    )
    invite = InviteCallback(action=InviteAction.NEW)
    return View(text, keyboard([button(gettext(language, "team.btn.invite"), invite)]))


def ask_invite_link(language: Language) -> View:
    return View(gettext(language, "team.onb.ask_link"))


def joined(language: Language, user: User, result: JoinResult) -> View:
    """After opening an invite link: welcome, or "you are already in it"."""
    key = "team.onb.joined" if result.joined else "team.onb.already_member"
    text = gettext(
        language,
        key,
        company=company_name(result.company.name),
        role=role_name(language, result.role),
    )
    return View(f"{_greeting(language, user)}\n\n{text}")


def plain(language: Language, key: str) -> View:
    """A fixed text of the team locale, without buttons."""
    return View(gettext(language, key))


def help_text(language: Language, actor: Actor | None) -> View:
    """The commands, and what the reader's role lets them do (from the one RIGHTS table)."""
    parts = [gettext(language, "team.help.commands")]
    if actor is None:
        parts.append(gettext(language, "team.help.no_company"))
    else:
        granted = [
            gettext(language, f"team.right.{permission.value}")
            for permission in Permission
            if actor.role in RIGHTS[permission]
        ]
        role = gettext(
            language,
            "team.help.role",
            company=company_name(actor.company_name),
            role=role_name(language, actor.role),
        )
        parts.append("\n".join([role, *(f"• {line}" for line in granted)]))
        parts.append(gettext(language, "team.help.everyone"))
    return View("\n\n".join(parts))


# Language


def language_choice(language: Language) -> View:
    buttons = [
        button(
            ("✅ " if option is language else "") + gettext(language, f"team.lng.name.{option}"),
            LanguageCallback(language=option),
        )
        for option in Language
    ]
    return View(gettext(language, "team.lng.choose"), keyboard(buttons))


# Companies


def company_list(language: Language, choices: Sequence[CompanyChoice], actor: Actor | None) -> View:
    """The user's companies, the active one marked, with switch and (owners) settings buttons."""
    create = OnboardingCallback(action=OnboardingAction.CREATE)
    create_row = [button(gettext(language, "team.btn.create_company"), create)]
    if not choices:
        return View(gettext(language, "team.co.none"), keyboard(create_row))
    lines = [gettext(language, "team.co.list_title")]
    rows: list[list[InlineKeyboardButton]] = []
    for choice in choices:
        mark = "✅" if choice.is_active else "▫️"
        lines.append(
            gettext(
                language,
                "team.co.line",
                mark=mark,
                company=company_name(choice.name),
                role=role_name(language, choice.role),
            )
        )
        switch = CompanyCallback(action=CompanyAction.SWITCH, company_id=choice.company_id)
        rows.append([button(f"{mark} {choice.name}", switch)])
    lines.append("")
    lines.append(gettext(language, "team.co.hint"))
    if actor is not None:
        rows.extend(_settings_rows(language, actor))
    rows.append(create_row)
    return View("\n".join(lines), keyboard(*rows))


def _settings_rows(language: Language, actor: Actor) -> list[list[InlineKeyboardButton]]:
    if not actor.can(Permission.MANAGE_COMPANY):
        return []
    rename = CompanyCallback(action=CompanyAction.RENAME, company_id=actor.company_id)
    zones = CompanyCallback(action=CompanyAction.TIMEZONES, company_id=actor.company_id)
    return [
        [button(gettext(language, "team.btn.rename"), rename)],
        [button(gettext(language, "team.btn.timezone", timezone=actor.timezone), zones)],
    ]


def company_menu(language: Language, actor: Actor) -> View:
    """The active company after a switch: its name, the role there, settings for owners."""
    text = gettext(
        language,
        "team.co.switched",
        company=company_name(actor.company_name),
        role=role_name(language, actor.role),
        timezone=actor.timezone,
    )
    companies = CompanyCallback(action=CompanyAction.LIST)
    rows = [
        *_settings_rows(language, actor),
        [button(gettext(language, "team.btn.all_companies"), companies)],
    ]
    return View(text, keyboard(*rows))


def ask_new_company_name(language: Language, actor: Actor) -> View:
    return View(gettext(language, "team.co.ask_name", company=company_name(actor.company_name)))


def company_renamed(language: Language, company: Company) -> View:
    return View(gettext(language, "team.co.renamed", company=company_name(company.name)))


def timezone_choice(language: Language, actor: Actor) -> View:
    text = gettext(
        language,
        "team.co.ask_timezone",
        company=company_name(actor.company_name),
        timezone=actor.timezone,
    )
    buttons = [
        button(
            ("✅ " if zone == actor.timezone else "") + zone,
            CompanyCallback(
                action=CompanyAction.SET_TIMEZONE, company_id=actor.company_id, zone=zone
            ),
        )
        for zone in TIMEZONES
    ]
    rows = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
    other = CompanyCallback(action=CompanyAction.TYPE_TIMEZONE, company_id=actor.company_id)
    rows.append([button(gettext(language, "team.btn.timezone_other"), other)])
    return View(text, keyboard(*rows))


def ask_timezone_name(language: Language) -> View:
    return View(gettext(language, "team.co.ask_timezone_text"))


def timezone_set(language: Language, company: Company) -> View:
    text = gettext(
        language,
        "team.co.timezone_set",
        company=company_name(company.name),
        timezone=company.timezone,
    )
    companies = CompanyCallback(action=CompanyAction.LIST)
    return View(text, keyboard([button(gettext(language, "team.btn.all_companies"), companies)]))
