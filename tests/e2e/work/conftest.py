"""Two companies made through the services (so these tests do not depend on the onboarding
screens), the people in them as users of the local Telegram, and what the scenarios read back.

Acme: Anna (owner, speaks English) and Bob (member, speaks Russian). Globex, the other tenant:
Greg (owner) with the project "Secret" and task #101, which Acme's people must never reach.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.i18n import gettext
from teamtasks.models import Company, Notification, Task, User
from teamtasks.models.enums import Language
from teamtasks.services import companies, invites, projects, tasks, users
from teamtasks.services.actors import Actor
from tests.services.helpers import actor_of, snapshot
from tgemulator import EmulatorServer
from tgemulator.client import CallbackAnswer, ChatMessage, Person

People = Callable[..., Awaitable[Person]]
REPLY_TIMEOUT = 10.0


@dataclass
class Crew:
    anna: Person
    bob: Person
    greg: Person
    acme_id: int
    globex_id: int
    anna_id: int
    bob_id: int
    greg_id: int
    globex_project_id: int
    globex_task: int


async def enrol(session: AsyncSession, person: Person, language_code: str) -> User:
    """The person's User row, as the bot would make it on their first message."""
    return await users.sync_from_telegram(
        session,
        telegram_id=person.id,
        first_name=person.first_name,
        last_name=None,
        username=person.username,
        language_code=language_code,
    )


async def actor(factory: SessionFactory, user_id: int, company_id: int) -> Actor:
    async with factory() as session:
        user = await session.get(User, user_id)
        company = await session.get(Company, company_id)
        assert user is not None
        assert company is not None
        return await actor_of(session, user, company)


@pytest.fixture(autouse=True)
def no_flood_control(telegram: EmulatorServer) -> None:
    """These scenarios type faster than a person could; Telegram's pacing is not what they test."""
    telegram.flood.enabled = False


@pytest.fixture
async def crew(people: People, committing_factory: SessionFactory) -> Crew:
    anna = await people("Anna", username="anna", language_code="en")
    bob = await people("Bob", username="bob", language_code="ru")
    greg = await people("Greg", username="greg", language_code="en")
    async with unit_of_work(committing_factory) as session:
        anna_user = await enrol(session, anna, "en")
        bob_user = await enrol(session, bob, "ru")
        greg_user = await enrol(session, greg, "en")
        acme = await companies.create_company(session, user=anna_user, name="Acme")
        invite = await invites.create_invite(
            session, actor=await actor_of(session, anna_user, acme)
        )
        await invites.join_by_token(session, user=bob_user, token=invite.token)
        globex = await companies.create_company(session, user=greg_user, name="Globex")
        globex.task_counter = 100
        greg_actor = await actor_of(session, greg_user, globex)
        secret = await projects.create_project(session, actor=greg_actor, name="Secret")
        plan = await tasks.create_task(
            session, actor=greg_actor, title="Globex plan", project_id=secret.id
        )
    return Crew(
        anna=anna,
        bob=bob,
        greg=greg,
        acme_id=acme.id,
        globex_id=globex.id,
        anna_id=anna_user.id,
        bob_id=bob_user.id,
        greg_id=greg_user.id,
        globex_project_id=secret.id,
        globex_task=plan.number,
    )


def shown(language: Language, key: str, **params: Any) -> str:
    """A text of the locales as the person sees it: markup gone, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", gettext(language, key, **params)))


def en(key: str, **params: Any) -> str:
    return shown(Language.EN, key, **params)


def ru(key: str, **params: Any) -> str:
    return shown(Language.RU, key, **params)


async def say(person: Person, text: str) -> ChatMessage:
    """Send a message and return the bot's answer."""
    await person.send(text)
    return await person.wait_reply(timeout=REPLY_TIMEOUT)


async def reply_containing(person: Person, fragment: str) -> ChatMessage:
    """The next bot message with `fragment`, passing over others (notifications of others' work)."""
    async with asyncio.timeout(REPLY_TIMEOUT):
        while True:
            reply = await person.wait_reply(timeout=REPLY_TIMEOUT)
            if fragment in (reply.text or ""):
                return reply


async def current(person: Person, message_id: int) -> ChatMessage:
    """A message of the person's chat as it is now (after edits)."""
    for message in await person.messages():
        if message.message_id == message_id:
            return message
    raise LookupError(f"no message {message_id}")


async def press(
    person: Person, message: ChatMessage, label: str
) -> tuple[CallbackAnswer | None, ChatMessage]:
    """Press a button of this message; the answer, and the message as it is afterwards.

    The bot edits the message before it answers the button, so the edit is there on return.
    """
    answer = await person.click(message.message_id, message.callback_data(label))
    return answer, await current(person, message.message_id)


def alert(answer: CallbackAnswer | None) -> str:
    """The text of the alert the bot answered a button with."""
    assert answer is not None, "the button was not answered"
    assert answer.show_alert, f"not an alert: {answer}"
    return answer.text or ""


async def task_row(factory: SessionFactory, company_id: int, number: int) -> Task:
    async with factory() as session:
        task = await session.scalar(
            select(Task).where(Task.company_id == company_id, Task.number == number)
        )
        assert task is not None
        return task


async def notifications_for(factory: SessionFactory, user_id: int) -> list[Notification]:
    async with factory() as session:
        rows = await session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
        return list(rows)


async def database(factory: SessionFactory) -> dict[str, list[tuple[Any, ...]]]:
    """Every row but the record of handled updates, to prove that a refusal changed nothing."""
    async with factory() as session:
        state = await snapshot(session)
    state.pop("processed_updates")
    return state


async def new_task(
    factory: SessionFactory, crew: Crew, title: str, *, by: int | None = None, **changes: Any
) -> int:
    """A task made through the services by Anna in Acme (or by Greg in Globex); its number."""
    company_id = crew.globex_id if by == crew.greg_id else crew.acme_id
    who = await actor(factory, by or crew.anna_id, company_id)
    async with unit_of_work(factory) as session:
        task = await tasks.create_task(session, actor=who, title=title)
        for field, value in changes.items():
            setattr(task, field, value)
        return task.number
