"""`/export`: owners get the company's data as a ZIP of CSV files (teamtasks/services/exports.py).

The archive is sent at once rather than after the commit: the export changes nothing but its
audit row, and that is written only once Telegram took the document (any other failure to send
fails the update, which rolls the row back). It goes only to a private chat: a group may hold
people outside the company.
"""

from __future__ import annotations

from html import escape

import structlog
from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramEntityTooLarge
from aiogram.filters import Command
from aiogram.methods import SendMessage
from aiogram.types import FSInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.filters import Magic
from teamtasks.bot.refusals import member
from teamtasks.bot.views.work import t
from teamtasks.models.enums import Language
from teamtasks.services import exports
from teamtasks.services.actors import Actor
from teamtasks.services.exports import Export

log = structlog.stdlib.get_logger("teamtasks.bot")


def caption(export: Export, actor: Actor, language: Language) -> str:
    return t(
        language,
        "export.caption",
        company=escape(actor.company_name),
        date=export.day.isoformat(),
        **export.counts,
    )


async def export_data(
    message: Message, bot: Bot, session: AsyncSession, actor: Actor | None, language: Language
) -> SendMessage | None:
    actor = member(actor)
    try:
        async with exports.exported(session, actor=actor) as export:
            document = FSInputFile(export.path, filename=export.file_name)
            await bot.send_document(
                message.chat.id, document, caption=caption(export, actor, language)
            )
    except TelegramEntityTooLarge:
        log.warning("export_too_large", company_id=actor.company_id)
        return message.answer(t(language, "export.too_large"))
    return None


async def in_a_group(message: Message, language: Language) -> SendMessage:
    return message.answer(t(language, "export.private_only"))


def register(router: Router) -> None:
    router.message.register(export_data, Command("export"), Magic(F.chat.type == ChatType.PRIVATE))
    router.message.register(in_a_group, Command("export"))
