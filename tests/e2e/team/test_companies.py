"""/company: several companies, the active one; owners rename and set the time zone; /language."""

from __future__ import annotations

from teamtasks.db import SessionFactory
from teamtasks.models.enums import Language
from tests.e2e.conftest import RunningBot, reply_text
from tests.e2e.team.support import (
    People,
    company_row,
    create_company,
    invite_payload,
    join,
    team_of,
    user_row,
)


async def test_a_person_in_several_companies_switches_the_active_one(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    _, [boris] = await team_of(people, "Acme", "Boris")
    await create_company(boris, "Boris & Sons")
    olga = await people("Olga", language_code="en")
    await create_company(olga, "Zeta")
    await join(boris, await invite_payload(olga, role="manager"))

    await boris.send("/company")
    listing = await boris.wait_reply()
    await boris.press("▫️ Acme")
    switched = await boris.wait_edit(listing)
    await boris.send("/invite")
    refused = await reply_text(boris)

    assert listing.text == (
        "Your companies\n"
        "▫️ Acme — member\n"
        "▫️ Boris & Sons — owner\n"
        "✅ Zeta — manager\n\n"
        "✅ marks the active company: your commands work in it. "
        "Press a company to make it active."
    )
    assert listing.buttons == [
        "▫️ Acme",
        "▫️ Boris & Sons",
        "✅ Zeta",
        "➕ Create a company",
    ]
    assert switched.text == ("Active company: Acme, your role: member. Time zone: Europe/Moscow.")
    assert switched.buttons == ["🏢 My companies"]
    assert refused == "Only owners and managers can invite people and manage invite links."
    acme = await company_row(committing_factory, "Acme")
    assert (await user_row(committing_factory, boris)).active_company_id == acme.id


async def test_an_owner_renames_the_company_and_sets_its_time_zone(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna = await people("Anna", language_code="en")
    await create_company(anna, "Acme")
    await anna.send("/company")
    listing = await anna.wait_reply()
    assert listing.buttons == [
        "✅ Acme",
        "✏️ Rename the company",
        "🕒 Time zone: Europe/Moscow",
        "➕ Create a company",
    ]

    await anna.press("✏️ Rename the company")
    assert (await reply_text(anna)).startswith("Send the new name of Acme")
    await anna.send("x" * 101)
    too_long = await reply_text(anna)
    await anna.send("Acme & <Co>")
    renamed = await reply_text(anna)
    await anna.press("🕒 Time zone: Europe/Moscow")
    zones = await anna.wait_edit(listing)
    await anna.press("Asia/Yekaterinburg")
    zone_set = await anna.wait_edit(zones)
    await anna.send("/company")
    await anna.wait_reply()
    await anna.press("🕒 Time zone: Asia/Yekaterinburg")
    await anna.press("Another one…")
    await anna.wait_reply()
    await anna.send("Mars/Olympus_Mons")
    unknown = await reply_text(anna)
    await anna.send("Asia/Tbilisi")
    typed = await reply_text(anna)

    assert too_long == "That is too long: at most 100 characters, please."
    assert renamed == "The company is now called Acme & <Co>."
    assert zone_set.text == "The time zone of Acme & <Co> is Asia/Yekaterinburg."
    assert unknown.startswith("Unknown time zone.")
    assert typed == "The time zone of Acme & <Co> is Asia/Tbilisi."
    company = await company_row(committing_factory, "Acme & <Co>")
    assert company.timezone == "Asia/Tbilisi"


async def test_members_see_no_settings_and_cannot_forge_them(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna, [boris] = await team_of(people, "Acme", "Boris")
    await anna.send("/company")
    owners_listing = await anna.wait_reply()
    rename = owners_listing.callback_data("✏️ Rename the company")

    await boris.send("/company")
    listing = await boris.wait_reply()
    answer = await boris.forged_callback(listing.message_id, rename)

    assert listing.buttons == ["✅ Acme", "➕ Create a company"]
    assert answer is not None
    assert answer.show_alert
    assert answer.text == "Only owners can change the company's settings."
    assert (await company_row(committing_factory, "Acme")).name == "Acme"


async def test_language_is_switched_and_kept(
    polling_bot: RunningBot, people: People, committing_factory: SessionFactory
) -> None:
    anna = await people("Anna", language_code="ru")
    await anna.send("/language")
    choice = await anna.wait_reply()
    assert choice.text == "На каком языке мне с вами говорить?"
    assert choice.buttons == ["✅ Русский", "English"]

    await anna.press("English")
    switched = await anna.wait_edit(choice)
    await anna.send("/start")
    greeting = await reply_text(anna)
    english = await user_row(committing_factory, anna)
    await anna.send("/language")
    await anna.wait_reply()
    await anna.press("Русский")
    await anna.send("/start")
    russian_again = await reply_text(anna)

    assert switched.text == "Done: I speak English to you now."
    assert greeting.startswith("Hi, Anna!")
    assert english.language is Language.EN
    assert russian_again.startswith("Привет, Anna!")
    assert (await user_row(committing_factory, anna)).language is Language.RU
