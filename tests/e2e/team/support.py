"""Steps of team scenarios as a person takes them, and looks into the database."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from teamtasks.db import SessionFactory
from teamtasks.models import AuditLog, Company, Invite, Membership, User
from teamtasks.models.enums import Role
from tests.e2e.conftest import BOT_USERNAME, reply_text
from tgemulator.client import Person

People = Callable[..., Awaitable[Person]]

LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=(inv_[A-Za-z0-9_-]+)")


async def create_company(person: Person, name: str) -> str:
    """An English speaker creates a company from /start; the bot's answer to the name."""
    await person.send("/start")
    greeting = await person.wait_reply()
    label = next(label for label in greeting.buttons if label.startswith("➕ Create"))
    await person.press(label)
    assert (await reply_text(person)).startswith("What is your company called?")
    await person.send(name)
    return await reply_text(person)


async def invite_payload(
    owner: Person, *, role: str | None = "member", ttl: str = "7 days", uses: str = "No limit"
) -> str:
    """The owner (or a manager, `role=None`) makes an invite link by buttons; its start payload."""
    await owner.send("/invite")
    await owner.wait_reply()
    if role is not None:
        await owner.press(role)
    await owner.press(ttl)
    await owner.press(uses)
    card = await owner.last_bot_message()
    assert card is not None
    assert card.text is not None
    found = LINK.search(card.text)
    assert found is not None, card.text
    return found[1]


async def join(person: Person, payload: str) -> str:
    """The person opens the invite link (Telegram sends `/start <payload>`); the bot's answer."""
    await person.send(f"/start {payload}")
    return await reply_text(person)


async def team_of(
    people: People, company: str = "Acme", *members: str
) -> tuple[Person, list[Person]]:
    """Anna creates the company; each named person joins it by Anna's link as a member."""
    anna = await people("Anna", username="anna", language_code="en")
    await create_company(anna, company)
    joined = []
    if members:
        payload = await invite_payload(anna)
        for name in members:
            person = await people(name, language_code="en")
            await join(person, payload)
            joined.append(person)
    return anna, joined


async def user_row(factory: SessionFactory, person: Person) -> User:
    async with factory() as session:
        user = await session.scalar(select(User).where(User.telegram_id == person.id))
    assert user is not None, f"{person.first_name} never wrote to the bot"
    return user


async def company_row(factory: SessionFactory, name: str) -> Company:
    async with factory() as session:
        company = await session.scalar(select(Company).where(Company.name == name))
    assert company is not None, f"no company {name!r}"
    return company


async def roles(factory: SessionFactory, company: str) -> dict[str, Role]:
    """First name of each member of the company -> role."""
    async with factory() as session:
        rows = await session.execute(
            select(User.first_name, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .join(Company, Company.id == Membership.company_id)
            .where(Company.name == company)
        )
        return dict(rows.tuples().all())


async def invites_of(factory: SessionFactory, company: str) -> list[Invite]:
    async with factory() as session:
        return list(
            (
                await session.scalars(
                    select(Invite)
                    .join(Company, Company.id == Invite.company_id)
                    .where(Company.name == company)
                    .order_by(Invite.id)
                )
            ).all()
        )


async def snapshot(factory: SessionFactory) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a team action could change, to prove that nothing did."""
    async with factory() as session:
        return {
            "companies": [
                tuple(row)
                for row in await session.execute(
                    select(Company.id, Company.name, Company.timezone).order_by(Company.id)
                )
            ],
            "memberships": [
                tuple(row)
                for row in await session.execute(
                    select(Membership.company_id, Membership.user_id, Membership.role).order_by(
                        Membership.id
                    )
                )
            ],
            "invites": [
                tuple(row)
                for row in await session.execute(
                    select(Invite.id, Invite.uses, Invite.revoked_at).order_by(Invite.id)
                )
            ],
            "users": [
                tuple(row)
                for row in await session.execute(
                    select(User.id, User.active_company_id, User.language).order_by(User.id)
                )
            ],
            "audit": [
                tuple(row)
                for row in await session.execute(select(AuditLog.id).order_by(AuditLog.id))
            ],
        }
