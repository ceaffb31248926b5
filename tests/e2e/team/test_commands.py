"""The command menu Telegram shows, in Russian and English: team, work and billing commands."""

from __future__ import annotations

from teamtasks.bot.handlers.team.commands import set_commands
from tests.e2e.conftest import RunningBot

COMMANDS = {
    "start",
    "help",
    "company",
    "invite",
    "invites",
    "members",
    "language",
    "cancel",
    "new",
    "task",
    "tasks",
    "my",
    "projects",
    "search",
    "audit",
    "export",
    "billing",
    "buy",
    "usage",
    "refund",
}


async def test_the_command_menu_is_set_for_both_languages(polling_bot: RunningBot) -> None:
    await set_commands(polling_bot.bot)

    english = await polling_bot.bot.get_my_commands(language_code="en")
    russian = await polling_bot.bot.get_my_commands(language_code="ru")
    everyone_else = await polling_bot.bot.get_my_commands()

    assert {command.command for command in english} == COMMANDS
    assert english[0].command == "new"
    assert english[0].description == "Create a task: /new Fix the login page"
    assert [command.description for command in russian][:2] == [
        "Создать задачу: /new Починить вход",
        "Мои задачи",
    ]
    assert {command.command: command.description for command in russian}["buy"] == (
        "Оплатить тариф (владельцы)"
    )
    assert everyone_else == russian
