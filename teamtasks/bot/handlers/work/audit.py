"""`/audit`: owners read the company's latest audit entries, page by page."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.work import AuditCallback
from teamtasks.bot.handlers.work.common import in_place, require_page, send
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.audit import PAGE_SIZE, audit_screen
from teamtasks.bot.views.work import Screen
from teamtasks.models.enums import Language
from teamtasks.services import audit
from teamtasks.services.actors import Actor
from teamtasks.services.audit import AuditEntry
from teamtasks.services.paging import Page, bounds, page_of


async def _screen(session: AsyncSession, actor: Actor, language: Language, offset: int) -> Screen:
    _, offset = bounds(PAGE_SIZE, offset)
    entries = await audit.recent(session, actor=actor, limit=PAGE_SIZE + 1, offset=offset)
    page: Page[AuditEntry] = page_of(entries, limit=PAGE_SIZE, offset=offset)
    require_page(page)
    return audit_screen(page, actor, language)


async def show_audit(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language
) -> SendMessage:
    return send(message, await _screen(session, member(actor), language, 0))


async def turn_page(
    callback: CallbackQuery,
    callback_data: AuditCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    screen = await _screen(session, member(actor), language, callback_data.offset)
    return in_place(callback, replies, screen)


def register(router: Router) -> None:
    router.message.register(show_audit, Command("audit"))
    router.callback_query.register(turn_page, AuditCallback.filter())
