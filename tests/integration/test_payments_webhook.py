"""`POST /payments/{provider}/webhook` over HTTP with the real app: the sandbox's notifications
settle once; every refusal is a 4xx with its reason that changes nothing; 100 concurrent copies
of one notification extend the subscription exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from teamtasks.billing.base import PaymentState
from teamtasks.billing.sandbox import SandboxProvider
from teamtasks.config import Settings
from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import Invoice, Subscription
from teamtasks.models.base import utcnow
from teamtasks.models.enums import InvoiceStatus, PaymentStatus, SubscriptionStatus
from teamtasks.services import billing, companies
from teamtasks.services.actors import actor_in
from teamtasks.web.app import create_app
from tests.services.helpers import snapshot
from tests.support import factories
from tests.support.web import serve

SECRET = "sandbox-secret-for-the-webhook-tests-0123456789"
WEBHOOK = "/payments/sandbox/webhook"


@dataclass
class Pending:
    """A committed company on its trial, with a pending sandbox payment for Team."""

    company_id: int
    state: PaymentState
    trial_end: Any


@pytest.fixture
async def web(
    database_url: str, committing_factory: SessionFactory, tmp_path: Path
) -> AsyncIterator[tuple[str, SandboxProvider]]:
    settings = Settings(database_url=database_url, data_dir=tmp_path, sandbox_secret=SECRET)
    async with serve(create_app(settings)) as base_url:
        yield base_url, SandboxProvider(secret=SECRET.encode(), web_url=base_url)


@pytest.fixture
async def pending(committing_factory: SessionFactory, web: tuple[str, SandboxProvider]) -> Pending:
    _, sandbox = web
    async with unit_of_work(committing_factory) as session:
        anna = await factories.user(session)
        company = await companies.create_company(session, user=anna, name="Acme")
        actor = await actor_in(session, user=anna, company_id=company.id)
        assert actor is not None
        checkout = await billing.start_checkout(session, actor, "team", sandbox)
        trial_end = await session.scalar(
            select(Subscription.current_period_end).where(Subscription.company_id == company.id)
        )
    state = PaymentState(
        provider_payment_id=checkout.payment.provider_payment_id,
        status=PaymentStatus.SUCCEEDED,
        amount_minor=checkout.payment.amount_minor,
        currency=checkout.payment.currency,
    )
    return Pending(company.id, state, trial_end)


async def _post(
    base_url: str, body: bytes, headers: dict[str, str], path: str = WEBHOOK
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return await client.post(path, content=body, headers=headers)


async def _everything(factory: SessionFactory) -> dict[str, list[tuple[Any, ...]]]:
    async with factory() as session:
        return await snapshot(session)


async def _subscription(factory: SessionFactory, company_id: int) -> Subscription:
    async with factory() as session:
        row = await session.scalar(
            select(Subscription).where(Subscription.company_id == company_id)
        )
    assert row is not None
    return row


async def test_a_signed_notification_settles_and_its_replay_changes_nothing(
    web: tuple[str, SandboxProvider], pending: Pending, committing_factory: SessionFactory
) -> None:
    base_url, sandbox = web
    body, headers = sandbox.notification(pending.state)

    first = await _post(base_url, body, headers)

    assert (first.status_code, first.json()) == (200, {"result": "applied"})
    subscription = await _subscription(committing_factory, pending.company_id)
    assert subscription.status is SubscriptionStatus.ACTIVE
    assert subscription.current_period_end == pending.trial_end + timedelta(days=30)
    before = await _everything(committing_factory)
    replay = await _post(base_url, body, headers)
    assert (replay.status_code, replay.json()) == (200, {"result": "duplicate"})
    assert await _everything(committing_factory) == before

    async with httpx.AsyncClient(base_url=base_url) as client:
        metrics = (await client.get("/metrics")).text
    assert 'teamtasks_payment_webhooks_total{provider="sandbox",result="applied"}' in metrics
    assert 'teamtasks_payment_webhooks_total{provider="sandbox",result="duplicate"}' in metrics
    assert 'teamtasks_payments_total{provider="sandbox",result="succeeded"}' in metrics


async def test_a_late_cancel_after_success_answers_200_and_keeps_the_invoice_paid(
    web: tuple[str, SandboxProvider], pending: Pending, committing_factory: SessionFactory
) -> None:
    base_url, sandbox = web
    assert (await _post(base_url, *sandbox.notification(pending.state))).status_code == 200
    paid = await _subscription(committing_factory, pending.company_id)

    canceled = replace(pending.state, status=PaymentStatus.CANCELED)
    late = await _post(base_url, *sandbox.notification(canceled))

    assert (late.status_code, late.json()) == (200, {"result": "ignored"})
    after = await _subscription(committing_factory, pending.company_id)
    assert (after.status, after.current_period_end) == (paid.status, paid.current_period_end)
    async with committing_factory() as session:
        invoice = await session.scalar(select(Invoice))
    assert invoice is not None
    assert invoice.status is InvoiceStatus.PAID


def _resigned(sandbox: SandboxProvider, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    timestamp = int(headers["X-Sandbox-Timestamp"])
    return {**headers, "X-Sandbox-Signature": sandbox.sign(body, timestamp)}


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("bad signature", 401, "bad signature"),
        ("signed by another secret", 401, "bad signature"),
        ("body changed after signing", 401, "bad signature"),
        ("no signature headers", 400, "missing or malformed timestamp"),
        ("stale timestamp", 400, "stale timestamp"),
        ("timestamp from the future", 400, "stale timestamp"),
        ("unknown payment", 404, "unknown payment"),
        ("wrong amount", 409, "amount does not match the invoice"),
        ("wrong currency", 409, "currency does not match the invoice"),
        ("not JSON", 400, "malformed notification: not JSON"),
        ("unknown provider", 404, "no such payment provider here"),
    ],
)
async def test_every_refusal_is_a_4xx_with_its_reason_and_changes_nothing(
    web: tuple[str, SandboxProvider],
    pending: Pending,
    committing_factory: SessionFactory,
    case: str,
    status: int,
    reason: str,
) -> None:
    base_url, sandbox = web
    state, path = pending.state, WEBHOOK
    body, headers = sandbox.notification(state)
    if case == "bad signature":
        headers["X-Sandbox-Signature"] = "v1=" + "0" * 64
    elif case == "signed by another secret":
        forger = SandboxProvider(secret=b"not-our-secret" * 4, web_url=base_url)
        body, headers = forger.notification(state)
    elif case == "body changed after signing":
        body = body.replace(b'"amount_minor":99000', b'"amount_minor":1')
    elif case == "no signature headers":
        headers = {"Content-Type": "application/json"}
    elif case == "stale timestamp":
        body, headers = sandbox.notification(state, at=utcnow() - timedelta(minutes=6))
    elif case == "timestamp from the future":
        body, headers = sandbox.notification(state, at=utcnow() + timedelta(minutes=6))
    elif case == "unknown payment":
        body, headers = sandbox.notification(replace(state, provider_payment_id="sbx_nobody"))
    elif case == "wrong amount":
        body, headers = sandbox.notification(replace(state, amount_minor=100))
    elif case == "wrong currency":
        body, headers = sandbox.notification(replace(state, currency="USD"))
    elif case == "not JSON":
        body = b"payment succeeded, trust me"
        headers = _resigned(sandbox, body, headers)
    elif case == "unknown provider":
        path = "/payments/paypal/webhook"
    before = await _everything(committing_factory)

    answer = await _post(base_url, body, headers, path)

    assert (answer.status_code, answer.json()) == (status, {"detail": reason})
    assert await _everything(committing_factory) == before


async def test_100_concurrent_copies_of_a_notification_extend_once_and_all_get_2xx(
    web: tuple[str, SandboxProvider], pending: Pending, committing_factory: SessionFactory
) -> None:
    base_url, sandbox = web
    body, headers = sandbox.notification(pending.state)
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        answers = await asyncio.gather(
            *(client.post(WEBHOOK, content=body, headers=headers) for _ in range(100))
        )

    assert [answer.status_code for answer in answers] == [200] * 100
    results = sorted(answer.json()["result"] for answer in answers)
    assert results == ["applied"] + ["duplicate"] * 99
    subscription = await _subscription(committing_factory, pending.company_id)
    assert subscription.current_period_end == pending.trial_end + timedelta(days=30)


async def test_100_concurrent_different_notices_of_one_success_extend_once(
    web: tuple[str, SandboxProvider], pending: Pending, committing_factory: SessionFactory
) -> None:
    base_url, sandbox = web
    notices = [sandbox.notification(pending.state) for _ in range(100)]
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        answers = await asyncio.gather(
            *(client.post(WEBHOOK, content=body, headers=headers) for body, headers in notices)
        )

    assert [answer.status_code for answer in answers] == [200] * 100
    results = sorted(answer.json()["result"] for answer in answers)
    assert results == ["applied"] + ["duplicate"] * 99
    subscription = await _subscription(committing_factory, pending.company_id)
    assert subscription.current_period_end == pending.trial_end + timedelta(days=30)
