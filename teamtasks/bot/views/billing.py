"""`/billing` (plan, state, limits used, invoices) and `/buy` (plans, a button per provider)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiogram.types import InlineKeyboardButton

from teamtasks.bot.callbacks.billing import BillingAction, BillingCallback
from teamtasks.bot.views.files import human_size
from teamtasks.bot.views.work import Screen, button, clip, keyboard, local_time, safe, t
from teamtasks.models import Plan
from teamtasks.models.enums import Language, PaymentProvider, SubscriptionStatus
from teamtasks.services.actors import Actor, Permission
from teamtasks.services.billing import Checkout
from teamtasks.services.money import format_amount
from teamtasks.services.plans import InvoiceLine, Summary, price_of

NAME_UNITS = 100
LABEL_UNITS = 64


def _date(moment: datetime, actor: Actor) -> str:
    return local_time(moment, actor.timezone)[:10]


def _state(summary: Summary, actor: Actor, language: Language) -> str:
    until = _date(summary.period_end, actor)
    if summary.status is SubscriptionStatus.PAST_DUE:
        return t(
            language,
            "billing.state.past_due",
            ended=until,
            until=_date(summary.good_until, actor),
        )
    return t(language, f"billing.state.{summary.status.value}", until=until, ended=until)


def billing_screen(summary: Summary, actor: Actor, language: Language) -> Screen:
    plan, usage = summary.plan, summary.usage
    lines = [
        t(language, "billing.title", company=safe(actor.company_name, NAME_UNITS)),
        t(language, "billing.plan", plan=safe(plan.name, NAME_UNITS)),
        _state(summary, actor, language),
        "",
        t(
            language,
            "billing.limits",
            members=usage.members,
            max_members=plan.max_members,
            projects=usage.projects,
            max_projects=plan.max_projects,
            storage=human_size(usage.storage_bytes, language),
            max_storage=human_size(plan.max_storage_bytes, language),
        ),
    ]
    rows: list[list[InlineKeyboardButton]] = []
    if actor.can(Permission.MANAGE_BILLING):
        lines += ["", t(language, "billing.invoices")]
        lines += [_invoice(line, actor, language) for line in summary.invoices]
        if not summary.invoices:
            lines.append(t(language, "billing.invoices.none"))
        rows.append(
            [
                button(
                    t(language, "billing.button.buy"),
                    BillingCallback(action=BillingAction.PLANS),
                )
            ]
        )
    return Screen("\n".join(lines), keyboard(rows))


def _invoice(line: InvoiceLine, actor: Actor, language: Language) -> str:
    invoice = line.invoice
    return t(
        language,
        "billing.invoice.line",
        number=invoice.id,
        date=_date(invoice.created_at, actor),
        plan=safe(line.plan_name, NAME_UNITS),
        amount=format_amount(invoice.amount_minor, invoice.currency, language),
        status=t(language, f"billing.invoice.status.{invoice.status.value}"),
    )


def plans_screen(
    plans: Sequence[Plan], providers: Sequence[PaymentProvider], language: Language
) -> Screen:
    days = plans[0].period_days if plans else 30
    lines = [t(language, "billing.buy.title", days=days)]
    rows: list[list[InlineKeyboardButton]] = []
    for plan in plans:
        lines.append(
            t(
                language,
                "billing.buy.plan",
                plan=safe(plan.name, NAME_UNITS),
                price=format_amount(plan.price_minor, plan.currency, language),
                members=plan.max_members,
                projects=plan.max_projects,
                storage=human_size(plan.max_storage_bytes, language),
            )
        )
        rows += [[_buy_button(plan, provider, language)] for provider in providers]
    lines += ["", t(language, "billing.buy.how" if providers else "billing.buy.none")]
    return Screen("\n".join(lines), keyboard(rows))


def _buy_button(plan: Plan, provider: PaymentProvider, language: Language) -> InlineKeyboardButton:
    amount, currency = price_of(plan, provider)
    label = t(
        language,
        "billing.buy.button",
        plan=plan.name,
        provider=t(language, f"billing.provider.{provider.value}"),
        price=format_amount(amount, currency, language),
    )
    return InlineKeyboardButton(
        text=clip(label, LABEL_UNITS),
        callback_data=BillingCallback(
            action=BillingAction.BUY, plan=plan.code, provider=provider.value
        ).pack(),
    )


def checkout_screen(checkout: Checkout, language: Language) -> Screen:
    """The invoice and a button to the provider's page (sandbox, YooKassa)."""
    invoice = checkout.invoice
    amount = format_amount(invoice.amount_minor, invoice.currency, language)
    text = "\n".join(
        [
            t(
                language,
                "billing.checkout.title",
                number=invoice.id,
                plan=safe(checkout.plan.name, NAME_UNITS),
                days=invoice.period_days,
                amount=amount,
            ),
            t(language, "billing.checkout.open"),
        ]
    )
    rows = []
    if checkout.confirmation_url is not None:
        label = t(language, "billing.checkout.button", amount=amount)
        rows.append([InlineKeyboardButton(text=label, url=checkout.confirmation_url)])
    return Screen(text, keyboard(rows))
