"""A team and its Telegram group, for the group scenarios.

Acme (made through the services): Anna (owner, English), Bob (member, Russian) and its project
"Website". Vera uses Telegram but is no member of Acme; Greg owns Globex, the other tenant. All
four are in the group "Acme team", which the bot was added to (it greets the group; the
greeting is read, so `wait_reply` on the group returns what comes after it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import AuditLog, GroupChat
from teamtasks.services import companies, invites, projects
from tests.e2e.conftest import RunningBot
from tests.e2e.work.conftest import People, enrol
from tests.services.helpers import actor_of
from tgemulator import EmulatorServer
from tgemulator.client import ChatMessage, EmulatorClient, Group, Person

REPLY_TIMEOUT = 10.0


@dataclass
class GroupTeam:
    anna: Person
    bob: Person
    vera: Person
    greg: Person
    group: Group
    acme_id: int
    globex_id: int
    bob_id: int
    vera_id: int
    website_id: int


@pytest.fixture(autouse=True)
def no_flood_control(telegram: EmulatorServer) -> None:
    """People here type faster than Telegram would let a bot answer; the pacing of the bot's
    own announcements is tested with the worker's limits (test_announcements.py)."""
    telegram.flood.enabled = False


@pytest.fixture
async def team(
    polling_bot: RunningBot,
    people: People,
    client: EmulatorClient,
    committing_factory: SessionFactory,
) -> GroupTeam:
    anna = await people("Anna", username="anna", language_code="en")
    bob = await people("Bob", username="bob", language_code="ru")
    vera = await people("Vera", username="vera", language_code="en")
    greg = await people("Greg", username="greg", language_code="en")
    async with unit_of_work(committing_factory) as session:
        anna_user = await enrol(session, anna, "en")
        bob_user = await enrol(session, bob, "ru")
        vera_user = await enrol(session, vera, "en")
        greg_user = await enrol(session, greg, "en")
        acme = await companies.create_company(session, user=anna_user, name="Acme")
        owner = await actor_of(session, anna_user, acme)
        invite = await invites.create_invite(session, actor=owner)
        await invites.join_by_token(session, user=bob_user, token=invite.token)
        website = await projects.create_project(session, actor=owner, name="Website")
        globex = await companies.create_company(session, user=greg_user, name="Globex")
    group = await client.create_group("Acme team", [anna, bob, vera, greg])
    await group.wait_reply(timeout=REPLY_TIMEOUT)  # the bot's greeting
    return GroupTeam(
        anna=anna,
        bob=bob,
        vera=vera,
        greg=greg,
        group=group,
        acme_id=acme.id,
        globex_id=globex.id,
        bob_id=bob_user.id,
        vera_id=vera_user.id,
        website_id=website.id,
    )


async def said(group: Group, person: Person, text: str, reply_to: int | None = None) -> ChatMessage:
    """`person` writes in the group; the bot's answer there."""
    await group.send(person, text, reply_to=reply_to)
    return await group.wait_reply(timeout=REPLY_TIMEOUT)


async def link_of(factory: SessionFactory, chat_id: int) -> GroupChat | None:
    async with factory() as session:
        link: GroupChat | None = await session.scalar(
            select(GroupChat).where(GroupChat.chat_id == chat_id)
        )
        return link


async def actions(factory: SessionFactory, company_id: int) -> list[str]:
    async with factory() as session:
        rows = await session.scalars(
            select(AuditLog.action).where(AuditLog.company_id == company_id).order_by(AuditLog.id)
        )
        return list(rows)
