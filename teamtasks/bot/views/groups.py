"""What the bot shows in groups: the group's link and settings, and a non-member's answer."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from teamtasks.bot.callbacks.groups import GroupAction, GroupCallback
from teamtasks.bot.views.work import NAME_UNITS, Screen, button, keyboard, safe, t
from teamtasks.models.enums import Language
from teamtasks.services.actors import Actor, Permission
from teamtasks.services.groups import GroupLink

PROJECT_UNITS = 200


def group_screen(link: GroupLink, actor: Actor, language: Language, header: str = "") -> Screen:
    """The group's company, project and switches; managers and owners get buttons to flip them."""
    project = (
        safe(link.project_name, PROJECT_UNITS)
        if link.project_name is not None
        else t(language, "groups.screen.whole_company")
    )
    lines = [header, ""] if header else []
    lines += [
        t(language, "groups.screen.company", company=safe(link.company_name, PROJECT_UNITS)),
        t(language, "groups.screen.project", project=project),
        t(language, "groups.screen.announce", state=_state(link.announce, language)),
        t(language, "groups.screen.allow_join", state=_state(link.allow_join, language)),
        "",
        t(language, "groups.screen.hint"),
    ]
    markup = _switches(link, language) if actor.can(Permission.MANAGE_PROJECTS) else None
    return Screen("\n".join(lines), markup)


def _state(on: bool, language: Language) -> str:
    return t(language, "groups.state.on" if on else "groups.state.off")


def _switches(link: GroupLink, language: Language) -> InlineKeyboardMarkup:
    announce = "groups.button.announce_off" if link.announce else "groups.button.announce_on"
    joining = "groups.button.join_off" if link.allow_join else "groups.button.join_on"
    return keyboard(
        [
            [
                button(
                    t(language, announce),
                    GroupCallback(action=GroupAction.ANNOUNCE, on=not link.announce),
                )
            ],
            [
                button(
                    t(language, joining),
                    GroupCallback(action=GroupAction.ALLOW_JOIN, on=not link.allow_join),
                )
            ],
        ]
    )


def outsider_screen(link: GroupLink, name: str, language: Language) -> Screen:
    """For someone in the group who is not a member of its company: why nothing happened,
    and a button to join when the group allows it."""
    company = safe(link.company_name, PROJECT_UNITS)
    person = safe(name, NAME_UNITS)
    if not link.allow_join:
        return Screen(t(language, "groups.outsider.closed", name=person, company=company))
    join = button(
        t(language, "groups.button.join", company=link.company_name),
        GroupCallback(action=GroupAction.JOIN),
    )
    return Screen(
        t(language, "groups.outsider.open", name=person, company=company), keyboard([[join]])
    )
