"""`/buy`: the plans with a button per enabled provider; a button starts a checkout (owners).

A provider with a pay page (sandbox, YooKassa) gets a message with a URL button to it; the owner
is told by the bot once the payment is settled (an outbox notification written by settlement).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.billing.registry import Registry, UnknownProviderError
from teamtasks.bot.callbacks.billing import BillingAction, BillingCallback
from teamtasks.bot.handlers.work.common import send, send_to
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.billing import checkout_screen, plans_screen
from teamtasks.bot.views.work import Screen
from teamtasks.models.enums import Language
from teamtasks.services import billing, plans
from teamtasks.services.actors import Actor, Permission, require
from teamtasks.services.errors import NotFound


async def _plans(
    session: AsyncSession, actor: Actor, payments: Registry, language: Language
) -> Screen:
    require(actor, Permission.MANAGE_BILLING)
    return plans_screen(await plans.list_plans(session), payments.names, language)


async def show_plans(
    message: Message,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    payments: Registry,
) -> SendMessage:
    return send(message, await _plans(session, member(actor), payments, language))


async def plans_button(
    callback: CallbackQuery,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    payments: Registry,
    replies: Replies,
) -> AnswerCallbackQuery:
    return send_to(callback, replies, await _plans(session, member(actor), payments, language))


async def buy(
    callback: CallbackQuery,
    callback_data: BillingCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    payments: Registry,
    replies: Replies,
) -> AnswerCallbackQuery:
    """Start (or offer again) the checkout of a plan through the chosen provider."""
    checkout = await start_checkout(
        session, member(actor), callback_data.plan, payments, callback_data.provider
    )
    return send_to(callback, replies, checkout_screen(checkout, language))


async def start_checkout(
    session: AsyncSession, actor: Actor, plan_code: str, payments: Registry, provider_name: str
) -> billing.Checkout:
    """The checkout of the plan through the named provider; NotFound for one not enabled."""
    try:
        provider = payments.get(provider_name)
    except UnknownProviderError:
        raise NotFound("errors.not_found.provider") from None
    return await billing.start_checkout(session, actor, plan_code, provider)


def register(router: Router) -> None:
    router.message.register(show_plans, Command("buy"))
    router.callback_query.register(
        plans_button, BillingCallback.filter(F.action == BillingAction.PLANS)
    )
    router.callback_query.register(buy, BillingCallback.filter(F.action == BillingAction.BUY))
