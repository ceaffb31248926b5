"""The command menu Telegram shows next to the input field, in Russian and English."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats

from teamtasks.i18n import DEFAULT_LANGUAGE, gettext
from teamtasks.models.enums import Language

COMMANDS = (
    "new",
    "my",
    "tasks",
    "task",
    "projects",
    "search",
    "members",
    "invite",
    "invites",
    "company",
    "audit",
    "export",
    "billing",
    "buy",
    "usage",
    "refund",
    "language",
    "help",
    "cancel",
    "start",
)
"""Team, work and billing commands, most used first."""
GROUP_COMMANDS = ("new", "tasks", "task", "my", "search", "link", "unlink", "group", "help")
"""The menu in groups: the work done there, and linking the group."""


def bot_commands(language: Language, commands: tuple[str, ...] = COMMANDS) -> list[BotCommand]:
    return [
        BotCommand(command=command, description=gettext(language, f"team.cmd.{command}"))
        for command in commands
    ]


async def set_commands(bot: Bot) -> None:
    """setMyCommands for each language we speak, and for everyone else in the default one;
    the same for group chats, with the group's commands."""
    groups = BotCommandScopeAllGroupChats()
    for language in Language:
        await bot.set_my_commands(bot_commands(language), language_code=language.value)
        await bot.set_my_commands(
            bot_commands(language, GROUP_COMMANDS), scope=groups, language_code=language.value
        )
    await bot.set_my_commands(bot_commands(DEFAULT_LANGUAGE))
    await bot.set_my_commands(bot_commands(DEFAULT_LANGUAGE, GROUP_COMMANDS), scope=groups)
