"""Billing: plans, checkout, settlement (its state machine and idempotency), the extension rule.

Payments are started through the real sandbox provider and settled from its signed
notifications, parsed as the webhook parses them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.billing.base import IncomingRequest, Notification, PaymentState
from teamtasks.billing.sandbox import SandboxProvider
from teamtasks.billing.yookassa import RetryPolicy, YooKassaProvider
from teamtasks.models import (
    AuditLog,
    Invoice,
    Payment,
    Plan,
    Subscription,
    Trial,
    WebhookEvent,
)
from teamtasks.models import (
    Notification as Notice,
)
from teamtasks.models.base import utcnow
from teamtasks.models.enums import (
    InvoiceStatus,
    PaymentProvider,
    PaymentStatus,
    SubscriptionStatus,
)
from teamtasks.services import billing, plans
from teamtasks.services.billing import Checkout, Settlement
from teamtasks.services.errors import (
    AmountMismatch,
    CurrencyMismatch,
    Forbidden,
    NotFound,
    PaymentProviderUnavailable,
    UnknownPayment,
)
from teamtasks.services.subscriptions import extended_end
from tests.services.helpers import Team, snapshot

SANDBOX = SandboxProvider(secret=b"s" * 32, web_url="http://127.0.0.1:8000")
DAY = timedelta(days=1)


async def _plan(session: AsyncSession, code: str) -> Plan:
    return await plans.get_plan(session, code=code)


async def _subscription(session: AsyncSession, team: Team) -> Subscription:
    row = await session.scalar(
        select(Subscription).where(Subscription.company_id == team.company.id)
    )
    assert row is not None
    return row


async def _checkout(session: AsyncSession, team: Team, plan: str = "team") -> Checkout:
    return await billing.start_checkout(session, team.owner_actor, plan, SANDBOX)


async def _notified(state: PaymentState, event_id: str | None = None) -> Notification:
    """A sandbox notification about `state`, signed, sent and verified as the webhook does."""
    body, headers = SANDBOX.notification(state, event_id=event_id)
    request = IncomingRequest(
        body=body, headers={name.lower(): value for name, value in headers.items()}, client_ip=None
    )
    return await SANDBOX.parse_notification(request)


def _state(checkout: Checkout, status: PaymentStatus = PaymentStatus.SUCCEEDED) -> PaymentState:
    return PaymentState(
        provider_payment_id=checkout.payment.provider_payment_id,
        status=status,
        amount_minor=checkout.payment.amount_minor,
        currency=checkout.payment.currency,
    )


async def _settle(
    session: AsyncSession, state: PaymentState, event_id: str | None = None
) -> Settlement:
    notification = await _notified(state, event_id)
    return await billing.settle(session, PaymentProvider.SANDBOX, notification, state)


async def test_migrations_seed_team_and_business_and_a_trial_has_teams_limits(
    session: AsyncSession, acme: Team
) -> None:
    on_sale = await plans.list_plans(session)
    assert [(p.code, p.price_minor, p.currency, p.period_days) for p in on_sale] == [
        ("team", 99_000, "RUB", 30),
        ("business", 299_000, "RUB", 30),
    ]
    team, business = on_sale
    assert 0 < team.price_stars < business.price_stars
    assert team.max_members < business.max_members
    assert team.max_projects < business.max_projects
    assert team.max_storage_bytes < business.max_storage_bytes
    trial = await session.scalar(select(Trial).where(Trial.company_id == acme.company.id))
    assert trial is not None
    assert trial.plan_id == team.id
    subscription = await _subscription(session, acme)
    assert (subscription.plan_id, subscription.status) == (team.id, SubscriptionStatus.TRIALING)
    assert subscription.current_period_end == trial.ends_at


async def test_an_owner_starts_a_checkout_once_per_plan_and_provider(
    session: AsyncSession, acme: Team
) -> None:
    checkout = await _checkout(session, acme)

    invoice, payment = checkout.invoice, checkout.payment
    assert (invoice.status, invoice.amount_minor, invoice.currency, invoice.period_days) == (
        InvoiceStatus.OPEN,
        99_000,
        "RUB",
        30,
    )
    assert (invoice.company_id, invoice.created_by_id) == (acme.company.id, acme.owner.id)
    assert (payment.status, payment.amount_minor, payment.invoice_id) == (
        PaymentStatus.PENDING,
        99_000,
        invoice.id,
    )
    assert checkout.confirmation_url == (
        f"http://127.0.0.1:8000/payments/sandbox/pay/{payment.provider_payment_id}"
    )
    again = await _checkout(session, acme)
    assert again.payment.id == payment.id, "pressing the button twice makes one payment"
    business = await _checkout(session, acme, "business")
    assert business.payment.id != payment.id
    assert business.invoice.amount_minor == 299_000


async def test_only_owners_buy_and_only_plans_on_sale(session: AsyncSession, acme: Team) -> None:
    before = await snapshot(session)
    with pytest.raises(Forbidden) as refused:
        await billing.start_checkout(session, acme.manager_actor, "team", SANDBOX)
    assert refused.value.key == "errors.forbidden.billing.manage"
    with pytest.raises(NotFound):
        await _checkout(session, acme, "enterprise")
    assert await snapshot(session) == before


async def test_a_provider_that_cannot_be_reached_leaves_no_invoice(
    session: AsyncSession, acme: Team
) -> None:
    closed = YooKassaProvider(
        shop_id="1",
        secret_key="test_key",
        api_url="http://127.0.0.1:9/v3",
        allowed_networks=[],
        default_return_url="http://127.0.0.1:8000",
        retry=RetryPolicy(attempts=1, backoff=0, timeout=2),
    )
    async with session.begin_nested():
        before = await snapshot(session)
    with pytest.raises(PaymentProviderUnavailable):
        async with session.begin_nested():
            await billing.start_checkout(session, acme.owner_actor, "team", closed)
    assert await snapshot(session) == before


async def test_a_payment_settles_once_extends_from_the_trials_end_and_tells_the_owner(
    session: AsyncSession, acme: Team
) -> None:
    trial_end = (await _subscription(session, acme)).current_period_end
    checkout = await _checkout(session, acme)

    assert await _settle(session, _state(checkout), event_id="evt-1") is Settlement.APPLIED

    subscription = await _subscription(session, acme)
    assert subscription.status is SubscriptionStatus.ACTIVE
    assert subscription.current_period_end == trial_end + 30 * DAY
    assert (checkout.invoice.status, checkout.payment.status) == (
        InvoiceStatus.PAID,
        PaymentStatus.SUCCEEDED,
    )
    assert checkout.invoice.paid_at is not None
    paid = await session.scalar(select(AuditLog).where(AuditLog.action == "billing.paid"))
    assert paid is not None
    assert (paid.company_id, paid.entity_id, paid.details["plan"]) == (
        acme.company.id,
        checkout.invoice.id,
        "team",
    )
    told = (await session.scalars(select(Notice).where(Notice.kind == "billing.paid"))).all()
    assert [notice.user_id for notice in told] == [acme.owner.id], "owners only"
    assert "990" in told[0].text

    before = await snapshot(session)
    assert await _settle(session, _state(checkout), event_id="evt-1") is Settlement.DUPLICATE
    assert await snapshot(session) == before, "a duplicate changes nothing"

    assert await _settle(session, _state(checkout), event_id="evt-2") is Settlement.ALREADY_PAID
    after = await snapshot(session)
    assert len(after["webhook_events"]) == len(before["webhook_events"]) + 1
    assert {k: v for k, v in after.items() if k != "webhook_events"} == {
        k: v for k, v in before.items() if k != "webhook_events"
    }, "another notice of the same success is recorded, and extends nothing"


async def test_a_late_cancel_after_success_changes_nothing(
    session: AsyncSession, acme: Team
) -> None:
    checkout = await _checkout(session, acme)
    await _settle(session, _state(checkout))
    before = await snapshot(session)

    late = await _settle(session, _state(checkout, PaymentStatus.CANCELED))

    assert late is Settlement.IGNORED
    after = await snapshot(session)
    for table in ("invoices", "payments", "subscriptions", "audit_logs", "notifications"):
        assert after[table] == before[table]


async def test_a_cancel_while_pending_cancels_the_invoice_and_extends_nothing(
    session: AsyncSession, acme: Team
) -> None:
    before = await _subscription(session, acme)
    end = before.current_period_end
    checkout = await _checkout(session, acme)

    assert await _settle(session, _state(checkout, PaymentStatus.CANCELED)) is Settlement.APPLIED

    assert (checkout.invoice.status, checkout.payment.status) == (
        InvoiceStatus.CANCELED,
        PaymentStatus.CANCELED,
    )
    after = await _subscription(session, acme)
    assert (after.status, after.current_period_end) == (SubscriptionStatus.TRIALING, end)
    fresh = await _checkout(session, acme)
    assert fresh.invoice.id != checkout.invoice.id, "a canceled invoice is not offered again"


async def test_a_refund_before_we_saw_the_payment_succeed_buys_nothing_even_later(
    session: AsyncSession, acme: Team
) -> None:
    end = (await _subscription(session, acme)).current_period_end
    checkout = await _checkout(session, acme)

    refund = await _settle(session, _state(checkout, PaymentStatus.REFUNDED), "refund")
    # The success, fetched before the refund, arrives last: it finds the payment refunded.
    late = await _settle(session, _state(checkout), "late-success")

    assert (refund, late) == (Settlement.APPLIED, Settlement.ALREADY_PAID)
    assert (checkout.invoice.status, checkout.payment.status) == (
        InvoiceStatus.CANCELED,
        PaymentStatus.REFUNDED,
    )
    after = await _subscription(session, acme)
    assert (after.status, after.current_period_end) == (SubscriptionStatus.TRIALING, end)
    told = await session.scalars(select(Notice.kind).where(Notice.kind.like("billing.%")))
    assert list(told) == []
    actions = await session.scalars(select(AuditLog.action).order_by(AuditLog.id))
    assert list(actions)[-1] == "billing.refunded"


async def test_a_refund_whose_time_has_run_ends_the_subscription_and_says_so(
    session: AsyncSession, acme: Team
) -> None:
    checkout = await _checkout(session, acme)
    await _settle(session, _state(checkout))
    paid_end = (await _subscription(session, acme)).current_period_end
    later = paid_end - timedelta(days=10)  # 20 of the 30 paid days are gone

    state = _state(checkout, PaymentStatus.REFUNDED)
    notification = await _notified(state, "refund")
    refunded = await billing.settle(
        session, PaymentProvider.SANDBOX, notification, state, now=later
    )

    assert refunded is Settlement.APPLIED
    after = await _subscription(session, acme)
    assert (after.status, after.current_period_end) == (SubscriptionStatus.EXPIRED, later)
    told = await session.scalars(select(Notice.kind).where(Notice.kind.like("billing.refunded%")))
    assert list(told) == ["billing.refunded_ended"]


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"amount_minor": 1}, AmountMismatch),
        ({"amount_minor": 99_000 * 2}, AmountMismatch),
        ({"currency": "USD"}, CurrencyMismatch),
        ({"currency": "XTR"}, CurrencyMismatch),
        ({"provider_payment_id": "sbx_unknown"}, UnknownPayment),
    ],
)
async def test_a_state_that_does_not_match_the_payment_is_refused_and_changes_nothing(
    session: AsyncSession,
    acme: Team,
    change: dict[str, object],
    refusal: type[Exception],
) -> None:
    checkout = await _checkout(session, acme)
    state = replace(_state(checkout), **change)  # type: ignore[arg-type]
    async with session.begin_nested():
        before = await snapshot(session)

    with pytest.raises(refusal):
        async with session.begin_nested():
            await _settle(session, state)

    assert await snapshot(session) == before


async def test_a_state_about_another_payment_than_the_notification_is_refused(
    session: AsyncSession, acme: Team
) -> None:
    mine = await _checkout(session, acme)
    other = await _checkout(session, acme, "business")
    notification = await _notified(_state(mine))
    with pytest.raises(UnknownPayment):
        await billing.settle(session, "sandbox", notification, _state(other))


async def test_a_payment_of_another_provider_is_unknown(session: AsyncSession, acme: Team) -> None:
    checkout = await _checkout(session, acme)
    state = _state(checkout)
    with pytest.raises(UnknownPayment):
        await billing.settle(session, PaymentProvider.YOOKASSA, await _notified(state), state)


async def test_paying_early_extends_from_the_periods_end_and_after_expiry_from_now(
    session: AsyncSession, acme: Team
) -> None:
    first = await _checkout(session, acme)
    await _settle(session, _state(first))
    paid_until = (await _subscription(session, acme)).current_period_end

    second = await _checkout(session, acme)
    await _settle(session, _state(second))
    assert (await _subscription(session, acme)).current_period_end == paid_until + 30 * DAY

    long_ago = utcnow() - 90 * DAY
    await session.execute(
        update(Subscription)
        .where(Subscription.company_id == acme.company.id)
        .values(
            status=SubscriptionStatus.EXPIRED,
            current_period_start=long_ago - 30 * DAY,
            current_period_end=long_ago,
        )
    )
    third = await _checkout(session, acme)
    await _settle(session, _state(third))
    renewed = await _subscription(session, acme)
    await session.refresh(renewed)
    assert renewed.status is SubscriptionStatus.ACTIVE
    assert renewed.current_period_end - 30 * DAY == renewed.current_period_start
    assert abs(renewed.current_period_start - utcnow()) < timedelta(minutes=1)


async def test_an_upgrade_credits_the_unused_paid_days_at_the_plans_prices(
    session: AsyncSession, acme: Team
) -> None:
    team, business = await _plan(session, "team"), await _plan(session, "business")
    now = utcnow()
    await session.execute(
        update(Subscription)
        .where(Subscription.company_id == acme.company.id)
        .values(
            status=SubscriptionStatus.ACTIVE,
            plan_id=team.id,
            current_period_start=now - 20 * DAY,
            current_period_end=now + 10 * DAY,
        )
    )
    checkout = await _checkout(session, acme, "business")
    await _settle(session, _state(checkout))

    subscription = await _subscription(session, acme)
    await session.refresh(subscription)
    assert subscription.plan_id == business.id
    credit = subscription.current_period_end - subscription.current_period_start - 30 * DAY
    assert abs(credit - 10 * DAY * 990 / 2990) < timedelta(minutes=1)


def test_the_extension_rule() -> None:
    team = Plan(id=1, code="team", price_minor=99_000, period_days=30)
    business = Plan(id=2, code="business", price_minor=299_000, period_days=30)
    now = utcnow()
    month = 30 * DAY

    def end(status: SubscriptionStatus, left: timedelta, current: Plan, bought: Plan) -> object:
        return extended_end(
            status=status,
            period_end=now + left,
            current=current,
            bought=bought,
            paid=month,
            now=now,
        )

    active, trialing = SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING
    assert end(active, 10 * DAY, team, team) == now + 40 * DAY
    assert end(SubscriptionStatus.PAST_DUE, -DAY, team, team) == now + month
    assert end(SubscriptionStatus.EXPIRED, 5 * DAY, team, team) == now + month
    assert end(trialing, 10 * DAY, team, business) == now + 40 * DAY, "trial days are kept"
    upgraded = end(active, 10 * DAY, team, business)
    assert upgraded == now + month + timedelta(microseconds=10 * 86_400_000_000 * 990 // 2990)
    downgraded = end(active, 10 * DAY, business, team)
    assert downgraded == now + month + timedelta(microseconds=10 * 86_400_000_000 * 2990 // 990)
    assert end(SubscriptionStatus.CANCELED, 10 * DAY, team, business) == upgraded


async def test_webhook_events_are_recorded_with_their_payload(
    session: AsyncSession, acme: Team
) -> None:
    checkout = await _checkout(session, acme)
    await _settle(session, _state(checkout), event_id="evt-payload")
    event = await session.scalar(
        select(WebhookEvent).where(WebhookEvent.event_key == "evt-payload")
    )
    assert event is not None
    assert (event.provider, event.event_type) == (PaymentProvider.SANDBOX, "payment.succeeded")
    assert event.payload["payment"]["id"] == checkout.payment.provider_payment_id
    assert event.processed_at is not None
    count = await session.scalar(select(func.count()).select_from(Invoice))
    assert count == 1
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
