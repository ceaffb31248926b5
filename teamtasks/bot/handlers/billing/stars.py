"""Telegram Stars in the bot: the invoice, the checkout's approval, the payment, refunds.

/buy's Stars button starts a checkout as any provider's does (an Invoice and its Payment), then
the bot sends a Stars invoice (sendInvoice) whose payload is the payment's id. Before taking the
stars Telegram asks the bot (pre_checkout_query): approved only for an open invoice of the
payer's company at its price (teamtasks/services/stars.py). The `successful_payment` that
follows settles through `billing.settle`, as a provider's webhook does, and settlement tells
the owners. A payment that cannot be settled (no such invoice, another price), or a second
charge of an invoice already paid, is owed back and refunded at once, or by the worker when
Telegram does not take the refund then (teamtasks/services/owed_refunds.py). `/refund` lists
the company's Stars payments; an owner refunds one (refundStarPayment) and the company loses
what it bought.
"""

from __future__ import annotations

from enum import StrEnum

import structlog
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery, AnswerPreCheckoutQuery, SendMessage
from aiogram.types import CallbackQuery, Message, PreCheckoutQuery, SuccessfulPayment
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.billing import stars
from teamtasks.billing.registry import Registry
from teamtasks.bot.callbacks.billing import BillingAction, BillingCallback
from teamtasks.bot.filters import Magic
from teamtasks.bot.handlers.billing.buy import start_checkout
from teamtasks.bot.handlers.work.common import in_place, send
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.work import Screen, button, keyboard, local_time, safe, t
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Language, PaymentProvider, SubscriptionStatus
from teamtasks.observability.metrics import observe_stars_refund
from teamtasks.services import billing, owed_refunds, plans
from teamtasks.services import stars as stars_service
from teamtasks.services.actors import Actor, Permission
from teamtasks.services.errors import Conflict, DomainError, PaymentRejected
from teamtasks.services.money import format_amount
from teamtasks.services.owed_refunds import Outcome

log = structlog.stdlib.get_logger("teamtasks.bot.stars")

NAME_UNITS = 100


class RefundAction(StrEnum):
    ASK = "ask"
    DO = "do"


class RefundCallback(CallbackData, prefix="srf"):
    """A Stars refund: asked to confirm, then done. The invoice id is checked by the service."""

    action: RefundAction
    invoice_id: int


async def buy_with_stars(
    callback: CallbackQuery,
    callback_data: BillingCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    payments: Registry,
    replies: Replies,
) -> AnswerCallbackQuery:
    """Start (or offer again) a checkout and send its Stars invoice to this chat."""
    actor = member(actor)
    checkout = await start_checkout(
        session, actor, callback_data.plan, payments, PaymentProvider.STARS
    )
    plan, invoice = checkout.plan, checkout.invoice
    replies.add(
        stars.invoice_message(
            chat_id=callback.message.chat.id if callback.message else callback.from_user.id,
            title=t(language, "stars.invoice.title", plan=plan.name),
            description=t(
                language,
                "stars.invoice.description",
                plan=plan.name,
                company=actor.company_name,
                days=invoice.period_days,
            ),
            payload=checkout.payment.provider_payment_id,
            label=t(language, "stars.invoice.label", plan=plan.name, days=invoice.period_days),
            amount=invoice.amount_minor,
        )
    )
    return callback.answer()


async def pre_checkout(
    query: PreCheckoutQuery, session: AsyncSession, actor: Actor | None, language: Language
) -> AnswerPreCheckoutQuery:
    """Approve the checkout, or refuse it with the reason the payer reads in Telegram."""
    try:
        await stars_service.approve_checkout(
            session,
            actor=actor,
            payload=query.invoice_payload,
            amount=query.total_amount,
            currency=query.currency,
        )
    except DomainError as refusal:
        log.info("stars_checkout_refused", reason=refusal.key, payload=query.invoice_payload)
        return query.answer(ok=False, error_message=refusal.text(language))
    return query.answer(ok=True)


async def paid(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language, bot: Bot
) -> SendMessage | None:
    """Settle the payment; the owners are told by settlement, another payer is thanked."""
    payment = message.successful_payment
    assert payment is not None
    assert message.from_user is not None
    notification = stars.notification_of(payment, payer_id=message.from_user.id)
    assert notification.state is not None
    amount = format_amount(payment.total_amount, payment.currency, language)
    try:
        result = await billing.settle(
            session, PaymentProvider.STARS, notification, notification.state
        )
    except PaymentRejected as rejected:
        # Telegram has taken the stars for nothing we can give: they are owed back. The event
        # stays recorded, so a redelivered update is a duplicate, not a second refund.
        log.warning(
            "stars_payment_rejected",
            reason=rejected.reason,
            charge=payment.telegram_payment_charge_id,
        )
        outcome = await _give_back(
            session, bot, payment, payer_id=message.from_user.id, reason=rejected.reason
        )
        key = _REJECTED_TEXTS[outcome]
        return send(message, Screen(t(language, key, amount=amount)))
    log.info("stars_payment", result=result.value, charge=notification.event_key)
    if result is billing.Settlement.ALREADY_PAID:
        # A second invoice message of one checkout was paid too (both were approved while the
        # payment was pending): this charge bought nothing, so its stars are owed back.
        outcome = await _give_back(
            session, bot, payment, payer_id=message.from_user.id, reason="charged twice"
        )
        key = _PAID_TWICE_TEXTS[outcome]
        return send(message, Screen(t(language, key, amount=amount)))
    if result is billing.Settlement.APPLIED and not (
        actor is not None and actor.can(Permission.MANAGE_BILLING)
    ):
        return send(message, Screen(t(language, "stars.paid.thanks")))
    return None


_REJECTED_TEXTS = {
    Outcome.REFUNDED: "stars.paid.returned",
    Outcome.DEFERRED: "stars.paid.returning",
    Outcome.REFUSED: "stars.paid.return_refused",
}
_PAID_TWICE_TEXTS = {
    Outcome.REFUNDED: "stars.paid.paid_twice",
    Outcome.DEFERRED: "stars.paid.paid_twice_returning",
    Outcome.REFUSED: "stars.paid.return_refused",
}
"""What the payer of a charge that bought nothing reads, by what came of asking Telegram."""


async def _give_back(
    session: AsyncSession, bot: Bot, payment: SuccessfulPayment, *, payer_id: int, reason: str
) -> Outcome:
    """Owe the payment's stars back and ask Telegram for them at once (the worker asks again
    when Telegram did not take the refund now: teamtasks/services/owed_refunds.py)."""
    owed = await owed_refunds.owe(
        session,
        charge_id=payment.telegram_payment_charge_id,
        payer_id=payer_id,
        amount=payment.total_amount,
        reason=reason,
    )
    attempt = await stars.try_refund(bot, payer_id=owed.payer_id, charge_id=owed.charge_id)
    outcome = owed_refunds.record(owed, attempt, now=utcnow())
    observe_stars_refund(outcome)
    return outcome


async def show_refunds(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language
) -> SendMessage:
    actor = member(actor)
    charges = await stars_service.refundable(session, actor=actor)
    return send(message, _refunds_screen(charges, actor, language))


async def ask_refund(
    callback: CallbackQuery,
    callback_data: RefundCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    charges = await stars_service.refundable(session, actor=actor)
    charge = next((c for c in charges if c.invoice.id == callback_data.invoice_id), None)
    if charge is None:
        raise Conflict("errors.stars.not_refundable")
    return in_place(callback, replies, _confirm_screen(charge, language))


async def do_refund(
    callback: CallbackQuery,
    callback_data: RefundCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    bot: Bot,
    replies: Replies,
) -> AnswerCallbackQuery:
    """Refund in our records, then through Telegram before the commit: a refusal undoes it."""
    actor = member(actor)
    charge = await stars_service.refund(session, actor=actor, invoice_id=callback_data.invoice_id)
    try:
        await stars.refund(bot, payer_id=charge.payer_id, charge_id=charge.charge_id)
    except TelegramBadRequest as exc:
        log.warning("stars_refund_refused", error=exc.message, charge=charge.charge_id)
        raise Conflict("errors.stars.refund_refused") from None
    summary = await plans.summary(session, actor=actor)
    until = local_time(summary.period_end, actor.timezone)[:10]
    return in_place(callback, replies, _refunded_screen(charge, summary.status, until, language))


def _amount(charge: stars_service.StarsCharge, language: Language) -> str:
    return format_amount(charge.payment.amount_minor, charge.payment.currency, language)


def _refunds_screen(
    charges: list[stars_service.StarsCharge], actor: Actor, language: Language
) -> Screen:
    if not charges:
        return Screen(t(language, "stars.refunds.none"))
    lines = [t(language, "stars.refunds.title")]
    rows = []
    for charge in charges:
        amount = _amount(charge, language)
        settled = charge.payment.settled_at or charge.payment.created_at
        lines.append(
            t(
                language,
                "stars.refunds.line",
                number=charge.invoice.id,
                date=local_time(settled, actor.timezone)[:10],
                plan=safe(charge.plan.name, NAME_UNITS),
                amount=amount,
            )
        )
        rows.append(
            [
                button(
                    t(language, "stars.refunds.button", number=charge.invoice.id, amount=amount),
                    RefundCallback(action=RefundAction.ASK, invoice_id=charge.invoice.id),
                )
            ]
        )
    return Screen("\n".join(lines), keyboard(rows))


def _confirm_screen(charge: stars_service.StarsCharge, language: Language) -> Screen:
    amount = _amount(charge, language)
    text = t(
        language,
        "stars.refund.confirm",
        number=charge.invoice.id,
        amount=amount,
        days=charge.invoice.period_days,
    )
    confirm = button(
        t(language, "stars.refund.button", amount=amount),
        RefundCallback(action=RefundAction.DO, invoice_id=charge.invoice.id),
    )
    return Screen(text, keyboard([[confirm]]))


def _refunded_screen(
    charge: stars_service.StarsCharge, status: SubscriptionStatus, until: str, language: Language
) -> Screen:
    after = (
        t(language, "stars.refund.expired")
        if status is SubscriptionStatus.EXPIRED
        else t(language, "stars.refund.until", until=until)
    )
    done = t(
        language, "stars.refund.done", number=charge.invoice.id, amount=_amount(charge, language)
    )
    return Screen(f"{done}\n{after}")


def register(router: Router) -> None:
    """Before /buy's own button handler, which would otherwise take the Stars button."""
    router.callback_query.register(
        buy_with_stars,
        BillingCallback.filter(
            (F.action == BillingAction.BUY) & (F.provider == PaymentProvider.STARS.value)
        ),
    )
    router.pre_checkout_query.register(pre_checkout)
    router.message.register(paid, Magic(F.successful_payment))
    router.message.register(show_refunds, Command("refund"))
    router.callback_query.register(ask_refund, RefundCallback.filter(F.action == RefundAction.ASK))
    router.callback_query.register(do_refund, RefundCallback.filter(F.action == RefundAction.DO))
