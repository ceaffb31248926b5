"""The command menu Telegram shows next to the input field, in Russian and English."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand

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


def bot_commands(language: Language) -> list[BotCommand]:
    return [
        BotCommand(command=command, description=gettext(language, f"team.cmd.{command}"))
        for command in COMMANDS
    ]


async def set_commands(bot: Bot) -> None:
    """setMyCommands for each language we speak, and for everyone else in the default one."""
    for language in Language:
        await bot.set_my_commands(bot_commands(language), language_code=language.value)
    await bot.set_my_commands(bot_commands(DEFAULT_LANGUAGE))
