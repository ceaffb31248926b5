"""/members: the list with roles; owners change roles and remove; anyone leaves; never ownerless."""

from __future__ import annotations

from teamtasks.bot.callbacks.team import MemberAction, MemberCallback
from teamtasks.db import SessionFactory
from teamtasks.models.enums import Role
from tests.e2e.conftest import RunningBot
from tests.e2e.team.support import People, company_row, roles, team_of, user_row
from tests.support import factories

LAST_OWNER = "A company needs at least one owner. Make someone else an owner first."


async def test_members_are_listed_with_roles_and_only_owners_manage_them(
    polling_bot: RunningBot, people: People
) -> None:
    anna, [boris, _] = await team_of(people, "Acme", "Boris", "Carl")

    await anna.send("/members")
    owners_view = await anna.wait_reply()
    await boris.send("/members")
    members_view = await boris.wait_reply()

    assert owners_view.text == (
        "Members of Acme (3)\n"
        "1. Anna (@anna) — owner · you\n"
        "2. Boris — member\n"
        "3. Carl — member\n\n"
        "Press a member to change their role or remove them."
    )
    assert owners_view.buttons == ["1. Anna", "2. Boris", "3. Carl", "🚪 Leave the company"]
    assert members_view.text == (
        "Members of Acme (3)\n1. Anna (@anna) — owner\n2. Boris — member · you\n3. Carl — member"
    )
    assert members_view.buttons == ["🚪 Leave the company"]


async def test_an_owner_changes_roles_and_removes_a_member(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna, [_, carl] = await team_of(people, "Acme", "Boris", "Carl")
    await anna.send("/members")
    listing = await anna.wait_reply()

    await anna.press("2. Boris")
    card = await anna.wait_edit(listing)
    changed = await anna.press("👑 Make owner")
    after_change = await anna.wait_edit(card)
    await anna.press("3. Carl")
    await anna.press("❌ Remove from the company")
    confirm = await anna.last_bot_message()
    removed = await anna.press("Yes, remove")

    assert card.text == "Boris\nRole in Acme: member."
    assert card.buttons == [
        "👑 Make owner",
        "🧭 Make manager",
        "❌ Remove from the company",
        "👥 All members",
    ]
    assert changed is not None
    assert changed.text == "The role is changed."
    assert after_change.text is not None
    assert "2. Boris — owner" in after_change.text
    assert confirm is not None
    assert confirm.text == "Remove Carl from Acme? Their open tasks will have no assignee."
    assert removed is not None
    assert removed.text == "The member is removed."
    assert await roles(committing_factory, "Acme") == {"Anna": Role.OWNER, "Boris": Role.OWNER}
    assert (await user_row(committing_factory, carl)).active_company_id is None


async def test_the_last_owner_can_neither_leave_nor_step_down_and_members_leave(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna, [boris] = await team_of(people, "Acme", "Boris")
    await anna.send("/members")
    await anna.wait_reply()

    await anna.press("🚪 Leave the company")
    leaving = await anna.press("Yes, leave")
    await anna.send("/members")
    await anna.wait_reply()
    await anna.press("1. Anna")
    stepping_down = await anna.press("👤 Make member")
    await boris.send("/members")
    await boris.wait_reply()
    await boris.press("🚪 Leave the company")
    await boris.press("Yes, leave")
    goodbye = await boris.last_bot_message()

    assert leaving is not None
    assert (leaving.text, leaving.show_alert) == (LAST_OWNER, True)
    assert stepping_down is not None
    assert (stepping_down.text, stepping_down.show_alert) == (LAST_OWNER, True)
    assert goodbye is not None
    assert goodbye.text == "You have left Acme. /company shows the companies you are in."
    assert await roles(committing_factory, "Acme") == {"Anna": Role.OWNER}
    acme = await company_row(committing_factory, "Acme")
    assert (await user_row(committing_factory, anna)).active_company_id == acme.id
    assert (await user_row(committing_factory, boris)).active_company_id is None


async def test_a_long_member_list_is_paged(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna, _ = await team_of(people, "Acme")
    acme = await company_row(committing_factory, "Acme")
    async with committing_factory() as session, session.begin():
        for number in range(2, 24):
            await factories.member(session, company=acme, first_name=f"Person {number:02d}")
    await anna.send("/members")
    first = await anna.wait_reply()

    await anna.press("Next ›")
    second = await anna.wait_edit(first)
    back = MemberCallback(action=MemberAction.PAGE, offset=-5).pack()
    await anna.forged_callback(first.message_id, back)
    clamped_back = await anna.wait_edit(second)
    far = MemberCallback(action=MemberAction.PAGE, offset=10**12).pack()
    await anna.forged_callback(first.message_id, far)
    clamped_far = await anna.wait_edit(clamped_back)

    assert first.text is not None
    assert first.text.startswith("Members of Acme (23)\n1. Anna (@anna) — owner · you\n")
    assert first.buttons[-2:] == ["Next ›", "🚪 Leave the company"]
    assert len(first.buttons) == 22
    assert second.buttons == [
        "21. Person 21",
        "22. Person 22",
        "23. Person 23",
        "‹ Previous",
        "🚪 Leave the company",
    ]
    assert clamped_back.buttons == first.buttons
    assert clamped_far.buttons == second.buttons
