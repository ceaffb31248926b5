"""Invite links: made by buttons, opened by a new person, listed, revoked; dead links say why."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from teamtasks.db import SessionFactory
from teamtasks.models import AuditLog, Membership
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Role
from teamtasks.services import invites
from teamtasks.services.actors import actor_in
from tests.e2e.conftest import RunningBot, reply_text
from tests.e2e.team.support import (
    LINK,
    People,
    company_row,
    create_company,
    invite_payload,
    invites_of,
    join,
    roles,
    team_of,
    user_row,
)


async def test_an_owner_invites_by_link_and_a_person_joins_once(
    any_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna = await people("Anna", language_code="en")
    await create_company(anna, "Acme")

    await anna.send("/invite")
    assert (await reply_text(anna)) == "Who are you inviting? Choose the role they will get."
    await anna.press("member")
    await anna.press("7 days")
    await anna.press("5 people")
    card = await anna.last_bot_message()
    assert card is not None
    assert card.text is not None
    found = LINK.search(card.text)
    assert found is not None
    assert card.text.startswith("Invite link to Acme with the role member:\nhttps://t.me/")
    assert "; used 0 of 5 times." in card.text
    assert card.buttons == ["🚫 Revoke the link", "📋 All invite links"]

    boris = await people("Boris", language_code="ru")
    welcome = await join(boris, found[1])
    again = await join(boris, found[1])

    assert welcome.startswith("Привет, Boris!")
    assert "Добро пожаловать в Acme! Ваша роль: участник." in welcome
    assert "Вы уже состоите в Acme (роль: участник), ничего не изменилось" in again
    assert await roles(committing_factory, "Acme") == {"Anna": Role.OWNER, "Boris": Role.MEMBER}
    [invite] = await invites_of(committing_factory, "Acme")
    assert invite.uses == 1
    assert invite.max_uses == 5
    company = await company_row(committing_factory, "Acme")
    assert (await user_row(committing_factory, boris)).active_company_id == company.id
    async with committing_factory() as session:
        joins = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "member.joined")
        )
    assert joins == 1


async def test_dead_links_say_what_is_wrong_with_them(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna, _ = await team_of(people, "Acme", "Boris")
    used_up = await invite_payload(anna, ttl="1 hour", uses="1 person")
    to_revoke = await invite_payload(anna, ttl="1 day")
    company = await company_row(committing_factory, "Acme")
    async with committing_factory() as session, session.begin():
        actor = await actor_in(
            session, user=await user_row(committing_factory, anna), company_id=company.id
        )
        assert actor is not None
        expired = invites.deep_link_payload(
            await invites.create_invite(
                session, actor=actor, ttl=timedelta(days=1), now=utcnow() - timedelta(days=2)
            )
        )
    await anna.send("/invites")
    listing = await anna.wait_reply()
    assert listing.text is not None
    assert listing.text.startswith("Active invite links of Acme")
    assert listing.buttons == ["🚫 Revoke 1", "🚫 Revoke 2", "🚫 Revoke 3", "➕ New invite link"]
    assert to_revoke in listing.text.split("\n\n")[1]  # newest first
    await anna.press("🚫 Revoke 1")
    revoked = await anna.wait_edit(listing)
    carl = await people("Carl", language_code="en")
    await join(carl, used_up)

    dan = await people("Dan", language_code="en")
    answers = [
        await join(dan, payload)
        for payload in (expired, used_up, to_revoke, "inv_NoSuchTokenAtAll12345", "inv_<b>&")
    ]

    assert revoked.text is not None
    assert revoked.text.startswith("The invite link with the role member is revoked (")
    assert answers == [
        "This invite link has expired. Ask for a new one.",
        "This invite link has been used as many times as allowed. Ask for a new one.",
        "This invite link was revoked. Ask for a new one.",
        "This invite link is not valid. Ask for a new one.",
        "This invite link is not valid. Ask for a new one.",
    ]
    assert await roles(committing_factory, "Acme") == {
        "Anna": Role.OWNER,
        "Boris": Role.MEMBER,
        "Carl": Role.MEMBER,
    }


async def test_a_stale_revoke_button_says_the_link_is_revoked(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna = await people("Anna", language_code="en")
    await create_company(anna, "Acme")
    await invite_payload(anna)
    card = await anna.last_bot_message()
    assert card is not None
    await anna.send("/invites")
    await anna.wait_reply()
    await anna.press("🚫 Revoke 1")

    answer = await anna.click(card.message_id, card.callback_data("🚫 Revoke the link"))
    card_now = await anna.wait_edit(card)

    assert answer is not None
    assert answer.text == "The link is revoked."
    assert card_now.text is not None
    assert card_now.text.startswith("The invite link with the role member is revoked (")
    [invite] = await invites_of(committing_factory, "Acme")
    assert invite.revoked_at is not None
    async with committing_factory() as session:
        revocations = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "invite.revoked")
        )
    assert revocations == 1


async def test_managers_invite_members_only_and_members_do_not_invite(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna, [boris, carl] = await team_of(people, "Acme", "Boris", "Carl")
    await anna.send("/members")
    await anna.wait_reply()
    await anna.press("2. Boris")
    await anna.press("🧭 Make manager")

    await carl.send("/invite")
    carl_refused = await reply_text(carl)
    await boris.send("/invite")
    first_step = await boris.wait_reply()
    payload = await invite_payload(boris, role=None)
    dan = await people("Dan", language_code="en")
    joined = await join(dan, payload)

    assert carl_refused == "Only owners and managers can invite people and manage invite links."
    assert first_step.text == "Role: member. How long should the link work?"
    assert "Welcome to Acme! Your role: member." in joined
    assert (await roles(committing_factory, "Acme"))["Dan"] is Role.MEMBER


async def test_a_pasted_link_joins_too(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna = await people("Anna", language_code="en")
    await create_company(anna, "Acme")
    payload = await invite_payload(anna, role="manager")
    boris = await people("Boris", language_code="en")
    await boris.send("/start")
    await boris.wait_reply()
    await boris.press("🔗 I have an invite link")
    assert (await reply_text(boris)).startswith("Send me the invite link")

    await boris.send("https://t.me/teamtasks_test_bot?start=inv_NoSuchTokenAtAll12345")
    unknown = await reply_text(boris)
    await boris.send(f"here: https://t.me/teamtasks_test_bot?start={payload} thanks")
    joined = await reply_text(boris)

    assert unknown == "This invite link is not valid. Ask for a new one."
    assert "Welcome to Acme! Your role: manager." in joined
    async with committing_factory() as session:
        members = await session.scalar(select(func.count()).select_from(Membership))
    assert members == 2
