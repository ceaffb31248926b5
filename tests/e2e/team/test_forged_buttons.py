"""Forged, garbled and oversized callback data: a clear alert each, and nothing changes."""

from __future__ import annotations

from teamtasks.bot.callbacks.team import (
    CompanyAction,
    CompanyCallback,
    InviteAction,
    InviteCallback,
    InviteTtl,
    InviteUses,
    MemberAction,
    MemberCallback,
)
from teamtasks.db import SessionFactory
from teamtasks.models.enums import Role
from tests.e2e.conftest import RunningBot
from tests.e2e.team.support import (
    People,
    company_row,
    create_company,
    invite_payload,
    invites_of,
    join,
    snapshot,
    team_of,
    user_row,
)

NOT_A_MEMBER = "That person is not a member of this company."
STALE = (
    "This button no longer works. Send the command again to get fresh buttons (/help lists them)."
)


async def test_ids_of_another_company_and_garbled_data_are_refused(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna, _ = await team_of(people, "Acme", "Boris")
    olga = await people("Olga", language_code="en")
    await create_company(olga, "Zeta")
    petr = await people("Petr", language_code="en")
    await join(petr, await invite_payload(olga))
    zeta = await company_row(committing_factory, "Zeta")
    [zeta_invite] = await invites_of(committing_factory, "Zeta")
    petr_id = (await user_row(committing_factory, petr)).id
    await anna.send("/members")
    message = await anna.wait_reply()
    before = await snapshot(committing_factory)

    forged = {
        CompanyCallback(action=CompanyAction.SWITCH, company_id=zeta.id).pack(): (
            "You are not a member of that company. Ask its owner for an invite link."
        ),
        CompanyCallback(action=CompanyAction.SET_TIMEZONE, company_id=zeta.id, zone="UTC").pack(): (
            "This belongs to a company that is no longer your active one. "
            "Open /company and try again."
        ),
        InviteCallback(action=InviteAction.REVOKE, invite_id=zeta_invite.id).pack(): (
            "That invite was not found. Open the list of invites again."
        ),
        MemberCallback(action=MemberAction.ROLE, user_id=petr_id, role=Role.OWNER).pack(): (
            NOT_A_MEMBER
        ),
        MemberCallback(action=MemberAction.REMOVE_CONFIRMED, user_id=petr_id).pack(): (
            NOT_A_MEMBER
        ),
        MemberCallback(action=MemberAction.OPEN, user_id=petr_id).pack(): NOT_A_MEMBER,
        "mem:rmy:99999999999999999999999999::0": NOT_A_MEMBER,
        "mem:o:-1::0": NOT_A_MEMBER,
        "co:sw:0:": "You are not a member of that company. Ask its owner for an invite link.",
        "mem:r:2:emperor:0": STALE,
        "mem:r:abc:owner:0": STALE,
        "inv:c:0:owner:999d:any": STALE,
        "inv:zz": STALE,
        "co:": STALE,
        "lng:de": STALE,
        "onb:create:extra": STALE,
    }
    answers = {}
    for data, _ in forged.items():
        answer = await anna.forged_callback(message.message_id, data)
        assert answer is not None, data
        assert answer.show_alert, data
        answers[data] = answer.text

    assert answers == forged
    assert await snapshot(committing_factory) == before
    assert (await anna.last_bot_message()) == message


async def test_a_manager_cannot_forge_an_owner_invite_nor_a_member_a_role_change(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna, [boris, carl] = await team_of(people, "Acme", "Boris", "Carl")
    await anna.send("/members")
    await anna.wait_reply()
    await anna.press("2. Boris")
    await anna.press("🧭 Make manager")
    await boris.send("/invite")
    step = await boris.wait_reply()
    await carl.send("/members")
    carls_list = await carl.wait_reply()
    carl_id = (await user_row(committing_factory, carl)).id
    before = await snapshot(committing_factory)

    owner_invite = await boris.forged_callback(
        step.message_id,
        InviteCallback(
            action=InviteAction.CREATE, role=Role.OWNER, ttl=InviteTtl.DAY, uses=InviteUses.ONE
        ).pack(),
    )
    promotion = await carl.forged_callback(
        carls_list.message_id,
        MemberCallback(action=MemberAction.ROLE, user_id=carl_id, role=Role.OWNER).pack(),
    )

    assert owner_invite is not None
    assert owner_invite.text == (
        "Only owners can invite managers and owners or revoke such invites."
    )
    assert promotion is not None
    assert promotion.text == "Only owners can change roles and remove members."
    assert await snapshot(committing_factory) == before
