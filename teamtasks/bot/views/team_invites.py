"""What the invite side shows: the role, expiry and use-limit steps, links, the list."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton
from aiogram.utils.deep_linking import create_deep_link

from teamtasks.bot.callbacks.team import (
    InviteAction,
    InviteCallback,
    InviteTtl,
    InviteUses,
)
from teamtasks.bot.views.team import View, button, company_name, keyboard, role_name
from teamtasks.i18n import gettext
from teamtasks.models import Invite
from teamtasks.models.enums import Language, Role
from teamtasks.services.actors import Actor
from teamtasks.services.due_dates import format_due
from teamtasks.services.invites import deep_link_payload

INVITES_SHOWN = 20


def role_choice(language: Language) -> View:
    buttons = [
        [button(role_name(language, role), InviteCallback(action=InviteAction.ROLE, role=role))]
        for role in (Role.MEMBER, Role.MANAGER, Role.OWNER)
    ]
    return View(gettext(language, "team.inv.choose_role"), keyboard(*buttons))


def ttl_choice(language: Language, role: Role) -> View:
    buttons = [
        button(
            gettext(language, f"team.inv.ttl.{ttl.value}"),
            InviteCallback(action=InviteAction.TTL, role=role, ttl=ttl),
        )
        for ttl in InviteTtl
    ]
    text = gettext(language, "team.inv.choose_ttl", role=role_name(language, role))
    return View(text, keyboard(buttons[:2], buttons[2:]))


def uses_choice(language: Language, role: Role, ttl: InviteTtl) -> View:
    buttons = [
        button(
            gettext(language, f"team.inv.uses.{uses.value}"),
            InviteCallback(action=InviteAction.CREATE, role=role, ttl=ttl, uses=uses),
        )
        for uses in InviteUses
    ]
    text = gettext(
        language,
        "team.inv.choose_uses",
        role=role_name(language, role),
        ttl=gettext(language, f"team.inv.ttl.{ttl.value}"),
    )
    return View(text, keyboard(buttons[:2], buttons[2:]))


def invite_link(bot_username: str, invite: Invite) -> str:
    """`https://t.me/<bot>?start=inv_<token>`."""
    return create_deep_link(bot_username, "start", deep_link_payload(invite))


def _uses(language: Language, invite: Invite) -> str:
    if invite.max_uses is None:
        return gettext(language, "team.inv.uses_unlimited", used=invite.uses)
    return gettext(language, "team.inv.uses_limited", used=invite.uses, max=invite.max_uses)


def invite_created(language: Language, actor: Actor, invite: Invite, bot_username: str) -> View:
    text = gettext(
        language,
        "team.inv.created",
        role=role_name(language, invite.role),
        company=company_name(actor.company_name),
        link=invite_link(bot_username, invite),
        expires=format_due(invite.expires_at, actor.timezone, language),
        uses=_uses(language, invite),
    )
    revoke = InviteCallback(action=InviteAction.REVOKE, invite_id=invite.id)
    listing = InviteCallback(action=InviteAction.LIST)
    return View(
        text,
        keyboard(
            [button(gettext(language, "team.btn.revoke"), revoke)],
            [button(gettext(language, "team.btn.invites"), listing)],
        ),
    )


def invite_list(
    language: Language, actor: Actor, invites: Sequence[Invite], bot_username: str
) -> View:
    new = [
        button(gettext(language, "team.btn.new_invite"), InviteCallback(action=InviteAction.NEW))
    ]
    company = company_name(actor.company_name)
    if not invites:
        return View(gettext(language, "team.inv.list_empty", company=company), keyboard(new))
    lines = [gettext(language, "team.inv.list_title", company=company)]
    rows: list[list[InlineKeyboardButton]] = []
    for number, invite in enumerate(invites[:INVITES_SHOWN], start=1):
        lines.append(
            gettext(
                language,
                "team.inv.list_line",
                number=number,
                role=role_name(language, invite.role),
                expires=format_due(invite.expires_at, actor.timezone, language),
                uses=_uses(language, invite),
                link=invite_link(bot_username, invite),
            )
        )
        revoke = InviteCallback(action=InviteAction.REVOKE, invite_id=invite.id)
        rows.append([button(gettext(language, "team.btn.revoke_n", number=number), revoke)])
    if len(invites) > INVITES_SHOWN:
        lines.append(gettext(language, "team.inv.list_more", count=len(invites) - INVITES_SHOWN))
    rows.append(new)
    return View("\n\n".join(lines), keyboard(*rows))


def invite_revoked(language: Language, actor: Actor, invite: Invite) -> View:
    """A revoked invite, with the moment it was revoked (also when a stale button asks again)."""
    assert invite.revoked_at is not None, "revoke_invite always sets revoked_at"
    text = gettext(
        language,
        "team.inv.revoked",
        role=role_name(language, invite.role),
        when=format_due(invite.revoked_at, actor.timezone, language),
    )
    listing = InviteCallback(action=InviteAction.LIST)
    return View(text, keyboard([button(gettext(language, "team.btn.invites"), listing)]))
