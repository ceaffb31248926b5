"""`/billing`: the company's plan, its state and period end, limits used, and (owners) invoices."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.handlers.work.common import send
from teamtasks.bot.refusals import member
from teamtasks.bot.views.billing import billing_screen
from teamtasks.models.enums import Language
from teamtasks.services import plans
from teamtasks.services.actors import Actor


async def show_billing(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language
) -> SendMessage:
    actor = member(actor)
    summary = await plans.summary(session, actor=actor)
    return send(message, billing_screen(summary, actor, language))


def register(router: Router) -> None:
    router.message.register(show_billing, Command("billing"))
