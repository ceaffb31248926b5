"""The database itself refuses duplicates and bad values, whatever the code above it does."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import (
    Company,
    File,
    Invite,
    Invoice,
    Notification,
    Payment,
    Subscription,
    TaskComment,
    User,
    WebhookEvent,
)
from teamtasks.models.base import utcnow
from teamtasks.models.enums import PaymentProvider, Role, SubscriptionStatus
from tests.support import factories


async def _flush_fails(session: AsyncSession, *rows: object) -> None:
    """Flush rows inside a savepoint and expect the database to refuse them."""
    savepoint = await session.begin_nested()
    session.add_all(rows)
    with pytest.raises(IntegrityError):
        await session.flush()
    await savepoint.rollback()


async def test_telegram_id_is_unique(session: AsyncSession) -> None:
    anna = await factories.user(session)
    await _flush_fails(session, User(telegram_id=anna.telegram_id, first_name="Impostor"))


async def test_invite_token_is_unique(session: AsyncSession) -> None:
    acme = await factories.company(session)
    expires = utcnow() + timedelta(days=1)
    session.add(Invite(company_id=acme.id, token="tok", role=Role.MEMBER, expires_at=expires))
    await session.flush()
    await _flush_fails(
        session, Invite(company_id=acme.id, token="tok", role=Role.MEMBER, expires_at=expires)
    )


async def test_invite_uses_cannot_exceed_its_limit(session: AsyncSession) -> None:
    acme = await factories.company(session)
    await _flush_fails(
        session,
        Invite(
            company_id=acme.id,
            token="t2",
            role=Role.MEMBER,
            expires_at=utcnow(),
            max_uses=1,
            uses=2,
        ),
    )


async def test_task_number_is_unique_per_company_only(session: AsyncSession) -> None:
    acme = await factories.company(session, name="Acme")
    globex = await factories.company(session, name="Globex")
    await factories.task(session, company=acme, number=1)
    await factories.task(session, company=globex, number=1)
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await factories.task(session, company=acme, number=1)


async def test_task_cannot_point_to_another_companys_project(session: AsyncSession) -> None:
    acme = await factories.company(session, name="Acme")
    globex = await factories.company(session, name="Globex")
    theirs = await factories.project(session, company=globex)
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await factories.task(session, company=acme, number=1, project=theirs)


async def test_comment_and_file_cannot_point_to_another_companys_task(
    session: AsyncSession,
) -> None:
    acme = await factories.company(session, name="Acme")
    globex = await factories.company(session, name="Globex")
    theirs = await factories.task(session, company=globex, number=1)
    await _flush_fails(session, TaskComment(company_id=acme.id, task_id=theirs.id, text="hi"))
    await _flush_fails(
        session,
        File(
            company_id=acme.id,
            task_id=theirs.id,
            storage_key="company_1/x",
            original_name="x",
            content_type="text/plain",
            size_bytes=1,
            sha256="0" * 64,
        ),
    )


async def test_provider_payment_id_is_unique_per_provider(session: AsyncSession) -> None:
    acme = await factories.company(session)
    invoice = await factories.invoice(session, company=acme, plan=await factories.plan(session))

    def payment(provider: PaymentProvider) -> Payment:
        return Payment(
            company_id=acme.id,
            invoice_id=invoice.id,
            provider=provider,
            provider_payment_id="pay-1",
            amount_minor=100,
            currency="RUB",
        )

    session.add(payment(PaymentProvider.SANDBOX))
    session.add(payment(PaymentProvider.YOOKASSA))
    await session.flush()
    await _flush_fails(session, payment(PaymentProvider.SANDBOX))


async def test_webhook_event_is_recorded_once(session: AsyncSession) -> None:
    def event() -> WebhookEvent:
        return WebhookEvent(
            provider=PaymentProvider.YOOKASSA,
            event_key="evt-1",
            event_type="payment.succeeded",
            payload={"id": "evt-1"},
        )

    session.add(event())
    await session.flush()
    await _flush_fails(session, event())


async def test_notification_dedupe_key_is_unique(session: AsyncSession) -> None:
    acme = await factories.company(session)

    def notice() -> Notification:
        return Notification(
            company_id=acme.id,
            chat_id=1,
            kind="trial_ending",
            dedupe_key="trial:1:3d",
            text="Trial ends in 3 days",
        )

    session.add(notice())
    await session.flush()
    await _flush_fails(session, notice())


@pytest.mark.parametrize("amount", [-1, -10_000])
async def test_money_cannot_be_negative(session: AsyncSession, amount: int) -> None:
    acme = await factories.company(session)
    plan = await factories.plan(session)
    await _flush_fails(
        session,
        Invoice(
            company_id=acme.id,
            plan_id=plan.id,
            provider=PaymentProvider.SANDBOX,
            amount_minor=amount,
            currency="RUB",
            period_days=30,
            expires_at=utcnow(),
        ),
    )


async def test_enum_values_are_checked_by_the_database(session: AsyncSession) -> None:
    acme = await factories.company(session)
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(
                text(
                    "INSERT INTO tasks (company_id, number, title, status, priority) "
                    "VALUES (:company, 1, 'x', 'archived', 'normal')"
                ),
                {"company": acme.id},
            )


async def test_subscription_period_must_end_after_it_starts(session: AsyncSession) -> None:
    acme = await factories.company(session)
    now = utcnow()
    await _flush_fails(
        session,
        Subscription(
            company_id=acme.id,
            status=SubscriptionStatus.ACTIVE,
            current_period_start=now,
            current_period_end=now - timedelta(days=1),
        ),
    )


async def test_company_name_length_is_checked(session: AsyncSession) -> None:
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(text("INSERT INTO companies (name) VALUES ('')"))


async def test_naive_datetimes_are_refused(session: AsyncSession) -> None:
    acme = await factories.company(session)
    naive = datetime(2026, 12, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    session.add(Invite(company_id=acme.id, token="naive", role=Role.MEMBER, expires_at=naive))
    with pytest.raises(StatementError, match="naive datetime"):
        await session.flush()
    await session.rollback()


async def test_datetimes_come_back_aware_utc(session: AsyncSession) -> None:
    acme = await factories.company(session)
    await session.commit()
    loaded = await session.scalar(select(Company.created_at).where(Company.id == acme.id))
    assert loaded is not None
    assert loaded.utcoffset() == timedelta(0)
