"""What the member side shows: the list with roles, a member's card, removing and leaving."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram.types import InlineKeyboardButton

from teamtasks.bot.callbacks.team import MemberAction, MemberCallback
from teamtasks.bot.views.team import View, button, company_name, keyboard, role_name
from teamtasks.i18n import gettext
from teamtasks.models.enums import Language, Role
from teamtasks.services.actors import Actor, Permission
from teamtasks.services.members import MemberInfo

MEMBERS_PER_PAGE = 20


def _member_name(language: Language, info: MemberInfo) -> str:
    name = escape(info.name)
    if info.username:
        name += gettext(language, "team.mem.username", username=escape(info.username))
    return name


def member_list(
    language: Language, actor: Actor, members: Sequence[MemberInfo], offset: int
) -> View:
    """A page of the member list; owners get a button per member, everyone can leave."""
    last_page = max(len(members) - 1, 0) // MEMBERS_PER_PAGE * MEMBERS_PER_PAGE
    offset = min(max(offset, 0), last_page)  # forged offsets get the nearest page
    page = members[offset : offset + MEMBERS_PER_PAGE]
    lines = [
        gettext(
            language, "team.mem.title", company=company_name(actor.company_name), count=len(members)
        )
    ]
    rows: list[list[InlineKeyboardButton]] = []
    manage = actor.can(Permission.MANAGE_MEMBERS)
    for number, info in enumerate(page, start=offset + 1):
        you = gettext(language, "team.mem.you") if info.user_id == actor.user_id else ""
        lines.append(
            gettext(
                language,
                "team.mem.line",
                number=number,
                name=_member_name(language, info),
                role=role_name(language, info.role),
                you=you,
            )
        )
        if manage:
            card = MemberCallback(action=MemberAction.OPEN, user_id=info.user_id)
            rows.append([button(f"{number}. {info.name}", card)])
    if manage:
        lines.extend(["", gettext(language, "team.mem.hint_owner")])
    rows.append(_page_row(language, offset, has_more=offset + MEMBERS_PER_PAGE < len(members)))
    leave = MemberCallback(action=MemberAction.LEAVE)
    rows.append([button(gettext(language, "team.btn.leave"), leave)])
    return View("\n".join(lines), keyboard(*rows))


def _page_row(language: Language, offset: int, *, has_more: bool) -> list[InlineKeyboardButton]:
    row = []
    if offset > 0:
        previous = MemberCallback(
            action=MemberAction.PAGE, offset=max(offset - MEMBERS_PER_PAGE, 0)
        )
        row.append(button(gettext(language, "team.btn.previous"), previous))
    if has_more:
        following = MemberCallback(action=MemberAction.PAGE, offset=offset + MEMBERS_PER_PAGE)
        row.append(button(gettext(language, "team.btn.next"), following))
    return row


def member_card(language: Language, actor: Actor, info: MemberInfo) -> View:
    """One member for an owner: the role, buttons for the other roles, remove."""
    text = gettext(
        language,
        "team.mem.card",
        name=_member_name(language, info),
        company=company_name(actor.company_name),
        role=role_name(language, info.role),
    )
    rows = [
        [
            button(
                gettext(language, f"team.btn.role.{role.value}"),
                MemberCallback(action=MemberAction.ROLE, user_id=info.user_id, role=role),
            )
        ]
        for role in Role
        if role is not info.role
    ]
    remove = MemberCallback(action=MemberAction.REMOVE, user_id=info.user_id)
    rows.append([button(gettext(language, "team.btn.remove"), remove)])
    rows.append([_membersbutton(language)])
    return View(text, keyboard(*rows))


def _membersbutton(language: Language) -> InlineKeyboardButton:
    return button(gettext(language, "team.btn.members"), MemberCallback(action=MemberAction.PAGE))


def confirm_remove(language: Language, actor: Actor, info: MemberInfo) -> View:
    text = gettext(
        language,
        "team.mem.confirm_remove",
        name=_member_name(language, info),
        company=company_name(actor.company_name),
    )
    yes = MemberCallback(action=MemberAction.REMOVE_CONFIRMED, user_id=info.user_id)
    no = MemberCallback(action=MemberAction.OPEN, user_id=info.user_id)
    return View(
        text,
        keyboard(
            [button(gettext(language, "team.btn.yes_remove"), yes)],
            [button(gettext(language, "team.btn.cancel"), no)],
        ),
    )


def confirm_leave(language: Language, actor: Actor) -> View:
    text = gettext(language, "team.mem.confirm_leave", company=company_name(actor.company_name))
    yes = MemberCallback(action=MemberAction.LEAVE_CONFIRMED)
    return View(
        text,
        keyboard(
            [button(gettext(language, "team.btn.yes_leave"), yes)],
            [
                button(
                    gettext(language, "team.btn.cancel"), MemberCallback(action=MemberAction.PAGE)
                )
            ],
        ),
    )


def left(language: Language, actor: Actor) -> View:
    return View(gettext(language, "team.mem.left", company=company_name(actor.company_name)))
