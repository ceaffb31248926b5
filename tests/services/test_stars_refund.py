"""A Stars refund takes back what the payment bought in days of the current plan: after a plan
change, at the plans' prices, as the change credited it; time paid by other means keeps its
state."""

from __future__ import annotations

from datetime import timedelta

from aiogram.types import SuccessfulPayment
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.billing import stars
from teamtasks.billing.base import IncomingRequest, Notification, PaymentState
from teamtasks.billing.sandbox import SandboxProvider
from teamtasks.billing.stars import StarsProvider
from teamtasks.models import Plan, Subscription
from teamtasks.models.base import utcnow
from teamtasks.models.enums import PaymentProvider, PaymentStatus, SubscriptionStatus
from teamtasks.services import billing, plans
from teamtasks.services import stars as stars_service
from tests.services.helpers import Team

SANDBOX = SandboxProvider(secret=b"s" * 32, web_url="http://127.0.0.1:8000")


async def _subscription(session: AsyncSession, team: Team) -> Subscription:
    row = await session.scalar(
        select(Subscription).where(Subscription.company_id == team.company.id)
    )
    assert row is not None
    return row


async def test_a_refund_after_an_upgrade_takes_back_its_value_in_the_new_plans_days(
    session: AsyncSession, acme: Team
) -> None:
    now = utcnow()
    by_stars = await billing.start_checkout(session, acme.owner_actor, "team", StarsProvider())
    paid = stars.notification_of(
        SuccessfulPayment(
            currency="XTR",
            total_amount=by_stars.invoice.amount_minor,
            invoice_payload=by_stars.payment.provider_payment_id,
            telegram_payment_charge_id="charge-1",
            provider_payment_charge_id="",
        ),
        payer_id=acme.owner.telegram_id,
    )
    assert paid.state is not None
    await billing.settle(session, PaymentProvider.STARS, paid, paid.state, now=now)
    # Upgraded to Business, paid by other means: the unused Team time became Business time.
    upgrade = await billing.start_checkout(session, acme.owner_actor, "business", SANDBOX)
    state = PaymentState(
        provider_payment_id=upgrade.payment.provider_payment_id,
        status=PaymentStatus.SUCCEEDED,
        amount_minor=upgrade.payment.amount_minor,
        currency=upgrade.payment.currency,
    )
    body, headers = SANDBOX.notification(state)
    await billing.settle(
        session, PaymentProvider.SANDBOX, await _parsed(body, headers), state, now=now
    )
    before = (await _subscription(session, acme)).current_period_end
    team = await plans.get_plan(session, code="team")
    business = await plans.get_plan(session, code="business")

    await stars_service.refund(
        session, actor=acme.owner_actor, invoice_id=by_stars.invoice.id, now=now
    )

    after = await _subscription(session, acme)
    assert after.current_period_end == before - _worth(team, business)
    assert after.status is SubscriptionStatus.ACTIVE, "the time left was paid for: grace kept"
    assert not after.cancel_at_period_end


def _worth(bought: Plan, current: Plan) -> timedelta:
    """One period of `bought` in microseconds of `current`, at their prices per day."""
    microseconds = bought.period_days * 86_400 * 1_000_000
    return timedelta(
        microseconds=microseconds
        * bought.price_minor
        * current.period_days
        // (bought.period_days * current.price_minor)
    )


async def _parsed(body: bytes, headers: dict[str, str]) -> Notification:
    request = IncomingRequest(
        body=body, headers={name.lower(): value for name, value in headers.items()}, client_ip=None
    )
    return await SANDBOX.parse_notification(request)
