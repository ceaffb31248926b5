"""/start: the greeting, creating a company (name asked, checked, retried), the member's menu."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from teamtasks.db import SessionFactory
from teamtasks.models import AuditLog, Membership, Subscription, Trial
from teamtasks.models.enums import Role, SubscriptionStatus
from tests.e2e.conftest import RunningBot, reply_text
from tests.e2e.team.support import People, company_row, create_company, user_row


async def test_start_greets_in_the_users_language_and_offers_create_or_join(
    any_bot: RunningBot, people: People
) -> None:
    anna = await people("Anna", language_code="ru")
    john = await people("John", language_code="en")

    await anna.send("/start")
    await john.send("/start")
    russian, english = await anna.wait_reply(), await john.wait_reply()

    assert russian.text is not None
    assert russian.text.startswith("Привет, Anna!")
    assert "Создайте компанию" in russian.text
    assert russian.buttons == ["➕ Создать компанию", "🔗 У меня есть приглашение", "❓ Помощь"]
    assert english.text is not None
    assert english.text.startswith("Hi, John!")
    assert english.buttons == ["➕ Create a company", "🔗 I have an invite link", "❓ Help"]


async def test_creating_a_company_makes_the_user_its_owner_on_a_trial(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna = await people("Anna", language_code="en")

    answer = await create_company(anna, "  Acme  ")

    assert answer.startswith("The company Acme is created, and you are its owner.")
    assert "free trial lasts 14 days" in answer
    company = await company_row(committing_factory, "Acme")
    user = await user_row(committing_factory, anna)
    assert user.active_company_id == company.id
    async with committing_factory() as session:
        membership = await session.scalar(select(Membership))
        trial = await session.scalar(select(Trial))
        subscription = await session.scalar(select(Subscription))
        actions = (await session.scalars(select(AuditLog.action))).all()
    assert membership is not None
    assert (membership.user_id, membership.role) == (user.id, Role.OWNER)
    assert trial is not None
    assert trial.ends_at - trial.started_at == timedelta(days=14)
    assert subscription is not None
    assert subscription.company_id == company.id
    assert subscription.status is SubscriptionStatus.TRIALING
    assert subscription.current_period_end == trial.ends_at
    assert actions == ["company.created"]


async def test_bad_company_names_are_refused_and_the_user_can_try_again(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna = await people("Anna", language_code="en")
    await anna.send("/start")
    await anna.wait_reply()
    await anna.press("➕ Create a company")
    await anna.wait_reply()

    refusals = {}
    # Telegram refuses to send whitespace alone; invisible characters get through.
    for name in (" \u200b ", "x" * 101, "Acme\x07", "Acme\nInc"):
        await anna.send(name)
        refusals[name] = await reply_text(anna)
    await anna.send_file("logo.png", b"\x89PNG\r\n\x1a\n", as_photo=False)
    not_text = await reply_text(anna)
    await anna.send("<b>Tom & Jerry</b>")
    created = await anna.wait_reply()

    assert refusals == {
        " \u200b ": "That is empty. Please type some text.",
        "x" * 101: "That is too long: at most 100 characters, please.",
        "Acme\x07": "That contains invisible control characters. Please type plain text.",
        "Acme\nInc": "Please type it on one line, without line breaks.",
    }
    assert not_text == "Please send it as a text message, or /cancel."
    assert created.text is not None
    assert created.text.startswith("The company <b>Tom & Jerry</b> is created")
    assert created.html is not None
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in created.html
    assert (await company_row(committing_factory, "<b>Tom & Jerry</b>")).name == (
        "<b>Tom & Jerry</b>"
    )


async def test_a_name_of_exactly_100_characters_is_accepted(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna = await people("Anna", language_code="en")

    answer = await create_company(anna, "Я" * 100)

    assert answer.startswith("The company " + "Я" * 100 + " is created")
    assert len((await company_row(committing_factory, "Я" * 100)).name) == 100


async def test_cancel_leaves_the_naming_step(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna = await people("Anna", language_code="ru")
    await anna.send("/start")
    await anna.wait_reply()
    await anna.press("➕ Создать компанию")
    await anna.wait_reply()

    await anna.send("/cancel")
    assert await reply_text(anna) == "Отменено."
    await anna.send("Acme")
    assert (await reply_text(anna)).startswith("Не понял сообщение.")
    await anna.send("/cancel")

    assert await reply_text(anna) == "Отменять нечего."
    assert (await user_row(committing_factory, anna)).active_company_id is None


async def test_a_member_gets_a_short_menu_on_start(polling_bot: RunningBot, people: People) -> None:
    anna = await people("Anna", language_code="en")
    await create_company(anna, "Acme")

    await anna.send("/start")
    menu = await anna.wait_reply()
    await anna.press("❓ Help")
    help_text = await reply_text(anna)

    assert menu.text == (
        "Hi, Anna! I am teamtasks, a task tracker for teams right inside Telegram.\n\n"
        "Your active company: Acme, your role: owner."
    )
    assert menu.buttons == ["➕ Create another company", "🏢 My companies", "❓ Help"]
    assert help_text.startswith("What I can do")
    assert "/new Fix the login page — create a task" in help_text
    assert "/buy — pay for or change the plan (owners)" in help_text
    assert "Your role in Acme: owner. You can:" in help_text
    assert "• read the audit log" in help_text


async def test_help_outside_any_company_says_how_to_begin(
    polling_bot: RunningBot, people: People
) -> None:
    boris = await people("Boris", language_code="ru")

    await boris.send("/help")

    assert "Вы пока не состоите в компании: отправьте /start" in await reply_text(boris)
