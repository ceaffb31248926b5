"""YooKassa: the provider against a local server speaking its API over HTTP, and the webhook.

The provider's calls (creation with an Idempotence-Key, HTTP Basic, fetching back, retries)
run against `tests/support/yookassa_server.py`; notifications go over HTTP to the real
`teamtasks web`, which trusts one only after fetching the payment back from that server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from teamtasks.billing.base import (
    IncomingRequest,
    NotificationRejectedError,
    PaymentRequest,
    PaymentState,
    ProviderUnavailableError,
)
from teamtasks.billing.registry import create_registry
from teamtasks.billing.yookassa import (
    RetryPolicy,
    YooKassaProvider,
    from_amount,
    to_amount,
)
from teamtasks.config import ConfigError, Settings, parse_networks
from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import AuditLog, Invoice, Notification, Payment, Subscription, WebhookEvent
from teamtasks.models.enums import (
    InvoiceStatus,
    PaymentProvider,
    PaymentStatus,
    SubscriptionStatus,
)
from teamtasks.services import billing, companies
from teamtasks.services.actors import actor_in
from teamtasks.web.app import create_app
from tests.support import factories
from tests.support.web import serve
from tests.support.yookassa_server import SECRET_KEY, SHOP_ID, YooKassaServer

NO_PAUSE = RetryPolicy(attempts=3, backoff=0.0, timeout=5.0)


@pytest.fixture
async def shop() -> AsyncIterator[YooKassaServer]:
    server = YooKassaServer()
    await server.start()
    yield server
    await server.stop()


def _provider(shop: YooKassaServer, *, secret_key: str = SECRET_KEY) -> YooKassaProvider:
    return YooKassaProvider(
        shop_id=SHOP_ID,
        secret_key=secret_key,
        api_url=shop.api_url,
        allowed_networks=parse_networks("127.0.0.1"),
        default_return_url="https://t.me/teamtasks_bot",
        retry=NO_PAUSE,
    )


def _request(key: str = "invoice-1", amount_minor: int = 99000) -> PaymentRequest:
    return PaymentRequest(
        amount_minor=amount_minor,
        currency="RUB",
        description="Team plan, 30 days",
        idempotency_key=key,
        return_url="https://t.me/teamtasks_bot",
        metadata={"invoice_id": "1", "company_id": "7"},
    )


def test_amounts_convert_exactly_both_ways() -> None:
    assert [to_amount(v) for v in (0, 1, 99, 100, 99000, 123456789)] == [
        "0.00",
        "0.01",
        "0.99",
        "1.00",
        "990.00",
        "1234567.89",
    ]
    assert [from_amount(v) for v in ("990.00", "990", "0.01", "1234567.89", "10.5")] == [
        99000,
        99000,
        1,
        123456789,
        1050,
    ]
    for bad in ("0.001", "-1.00", "NaN", "Infinity", "abc", 990, None):
        with pytest.raises(ValueError, match="amount"):
            from_amount(bad)


async def test_creation_sends_basic_auth_and_the_idempotence_key(shop: YooKassaServer) -> None:
    created = await _provider(shop).create_payment(_request())
    assert created.status is PaymentStatus.PENDING
    assert created.confirmation_url == f"{shop.base_url}/checkout/{created.provider_payment_id}"
    call = shop.requests[-1]
    assert (call.method, call.path, call.authorized) == ("POST", "/v3/payments", True)
    assert call.idempotence_key == "invoice-1"
    assert call.body == {
        "amount": {"value": "990.00", "currency": "RUB"},
        "capture": True,
        "confirmation": {"type": "redirect", "return_url": "https://t.me/teamtasks_bot"},
        "description": "Team plan, 30 days",
        "metadata": {"invoice_id": "1", "company_id": "7"},
    }


async def test_the_same_key_gives_back_the_same_payment(shop: YooKassaServer) -> None:
    provider = _provider(shop)
    first = await provider.create_payment(_request("invoice-1"))
    again = await provider.create_payment(_request("invoice-1"))
    other = await provider.create_payment(_request("invoice-2"))
    assert again.provider_payment_id == first.provider_payment_id
    assert other.provider_payment_id != first.provider_payment_id
    assert len(shop.payments) == 2


async def test_a_5xx_is_retried_with_the_same_key(shop: YooKassaServer) -> None:
    shop.fail_next(2)
    created = await _provider(shop).create_payment(_request("invoice-9"))
    keys = [call.idempotence_key for call in shop.requests]
    assert keys == ["invoice-9", "invoice-9", "invoice-9"]
    assert list(shop.payments) == [created.provider_payment_id]


async def test_a_provider_that_keeps_failing_is_unavailable(shop: YooKassaServer) -> None:
    shop.fail_next(3, status=503)
    with pytest.raises(ProviderUnavailableError, match="after 3 attempts"):
        await _provider(shop).create_payment(_request())
    assert shop.payments == {}


async def test_an_unreachable_provider_is_unavailable() -> None:
    provider = YooKassaProvider(
        shop_id=SHOP_ID,
        secret_key=SECRET_KEY,
        api_url="http://127.0.0.1:9/v3",
        allowed_networks=(),
        default_return_url="https://t.me/teamtasks_bot",
        retry=NO_PAUSE,
    )
    with pytest.raises(ProviderUnavailableError, match="ConnectError"):
        await provider.fetch_payment("2f0e7a1c-000f-5000-8000-1d1a2b3c4d5e")


async def test_a_wrong_secret_key_is_refused_and_not_retried(shop: YooKassaServer) -> None:
    with pytest.raises(ProviderUnavailableError, match="401 invalid_credentials") as refused:
        await _provider(shop, secret_key="test_wrong").create_payment(_request())
    assert "test_wrong" not in str(refused.value)
    assert [call.authorized for call in shop.requests] == [False]


async def test_fetch_reads_the_payment_back(shop: YooKassaServer) -> None:
    provider = _provider(shop)
    created = await provider.create_payment(_request(amount_minor=150050))
    pending = await provider.fetch_payment(created.provider_payment_id)
    assert pending == PaymentState(
        provider_payment_id=created.provider_payment_id,
        status=PaymentStatus.PENDING,
        amount_minor=150050,
        currency="RUB",
        metadata={"invoice_id": "1", "company_id": "7"},
    )
    shop.payments[created.provider_payment_id].status = "succeeded"
    paid = await provider.fetch_payment(created.provider_payment_id)
    assert paid.status is PaymentStatus.SUCCEEDED
    shop.payments[created.provider_payment_id].refunded = Decimal("500.50")
    partly = await provider.fetch_payment(created.provider_payment_id)
    assert partly.status is PaymentStatus.SUCCEEDED  # a partial refund: still succeeded
    shop.payments[created.provider_payment_id].refunded = Decimal("1500.50")
    refunded = await provider.fetch_payment(created.provider_payment_id)
    assert refunded.status is PaymentStatus.REFUNDED
    assert shop.requests[-1].authorized


async def test_a_payment_yookassa_does_not_know_is_refused(shop: YooKassaServer) -> None:
    with pytest.raises(NotificationRejectedError) as refused:
        await _provider(shop).fetch_payment("2f0e7a1c-000f-5000-8000-1d1a2b3c4d5e")
    assert refused.value.status_code == 404


async def test_a_notification_is_parsed_without_trusting_its_state(shop: YooKassaServer) -> None:
    provider = _provider(shop)
    created = await provider.create_payment(_request())
    shop.payments[created.provider_payment_id].status = "succeeded"
    body = shop.notification("payment.succeeded", created.provider_payment_id)
    notification = await provider.parse_notification(
        IncomingRequest(json.dumps(body).encode(), {}, "127.0.0.1")
    )
    assert notification.event_key == f"payment.succeeded:{created.provider_payment_id}"
    assert notification.provider_payment_id == created.provider_payment_id
    assert notification.state is None
    fetched = await provider.fetch_payment(created.provider_payment_id)
    assert provider.confirms(notification, fetched)
    shop.payments[created.provider_payment_id].status = "pending"
    assert not provider.confirms(
        notification, await provider.fetch_payment(created.provider_payment_id)
    )


async def test_a_refund_notification_names_its_payment(shop: YooKassaServer) -> None:
    body = {
        "type": "notification",
        "event": "refund.succeeded",
        "object": {"id": "r-1", "payment_id": "p-1", "status": "succeeded"},
    }
    notification = await _provider(shop).parse_notification(
        IncomingRequest(json.dumps(body).encode(), {}, "::ffff:127.0.0.1")
    )
    assert (notification.event_key, notification.provider_payment_id) == (
        "refund.succeeded:r-1",
        "p-1",
    )


@pytest.mark.parametrize(
    ("body", "client_ip", "status"),
    [
        (
            b'{"type": "notification", "event": "payment.succeeded", "object": {"id": "p"}}',
            "10.0.0.1",
            403,
        ),
        (
            b'{"type": "notification", "event": "payment.succeeded", "object": {"id": "p"}}',
            None,
            403,
        ),
        (
            b'{"type": "notification", "event": "payment.succeeded", "object": {"id": "p"}}',
            "nonsense",
            403,
        ),
        (b"{not json", "127.0.0.1", 400),
        (b'{"type": "error"}', "127.0.0.1", 400),
        (b'{"type": "notification", "event": "payment.succeeded", "object": {}}', "127.0.0.1", 400),
        (
            b'{"type": "notification", "event": "deal.closed", "object": {"id": "p"}}',
            "127.0.0.1",
            400,
        ),
        (
            b'{"type": "notification", "event": "refund.succeeded", "object": {"id": "r"}}',
            "127.0.0.1",
            400,
        ),
    ],
)
async def test_notifications_not_to_be_trusted_are_rejected(
    shop: YooKassaServer, body: bytes, client_ip: str | None, status: int
) -> None:
    with pytest.raises(NotificationRejectedError) as rejected:
        await _provider(shop).parse_notification(IncomingRequest(body, {}, client_ip))
    assert rejected.value.status_code == status


def test_the_allowlist_defaults_to_yookassas_published_ranges() -> None:
    settings = Settings()
    networks = settings.yookassa_networks
    assert len(networks) == 10
    assert any(n.version == 6 for n in networks)
    provider_networks = [str(n) for n in networks]
    assert "185.71.76.0/27" in provider_networks
    assert "77.75.156.11/32" in provider_networks


def test_yookassa_settings_come_as_a_pair_and_refuse_bad_ranges() -> None:
    with pytest.raises(ValidationError, match="set together"):
        Settings(yookassa_shop_id=SHOP_ID)
    with pytest.raises(ValidationError, match="CIDR"):
        Settings(yookassa_allowed_ips="77.75.153.0/25,not-an-address")
    with pytest.raises(ConfigError, match="YOOKASSA_SHOP_ID"):
        YooKassaProvider.from_settings(Settings())
    assert "test_" not in repr(Settings(yookassa_shop_id=SHOP_ID, yookassa_secret_key=SECRET_KEY))


def test_stars_is_offered_whenever_the_bot_sells_on_telegram() -> None:
    token = "123456:" + "A" * 35
    local = Settings(payment_providers="sandbox", bot_token=token, telegram_api_url="http://x")
    on_telegram = Settings(payment_providers="sandbox", bot_token=token)
    assert local.enabled_payment_providers == ("sandbox",)
    assert on_telegram.enabled_payment_providers == ("sandbox", "stars")
    assert create_registry(on_telegram).names == (PaymentProvider.SANDBOX, PaymentProvider.STARS)


# -- the webhook of `teamtasks web`, over HTTP ------------------------------------------------

WEBHOOK = "/payments/yookassa/webhook"
YOOKASSA_ADDRESS = "185.71.76.10"
"""An address in YooKassa's published ranges (the default allowlist)."""


@dataclass
class Shop:
    """YooKassa's local server, our web service, and a company with a pending YooKassa payment."""

    server: YooKassaServer
    web_url: str
    factory: SessionFactory
    company_id: int
    payment_id: str


def _web_settings(
    database_url: str, server: YooKassaServer, data_dir: Path, **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "payment_providers": "yookassa",
        "yookassa_shop_id": SHOP_ID,
        "yookassa_secret_key": SECRET_KEY,
        "yookassa_api_url": server.api_url,
        "yookassa_allowed_ips": "127.0.0.1",
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


async def _checkout(factory: SessionFactory, settings: Settings) -> tuple[int, str]:
    """A company on its trial whose owner started paying the Team plan through YooKassa."""
    async with unit_of_work(factory) as session:
        owner = await factories.user(session, first_name="Anna")
        company = await companies.create_company(session, user=owner, name="Acme")
        actor = await actor_in(session, user=owner, company_id=company.id)
        assert actor is not None
        checkout = await billing.start_checkout(
            session, actor, "team", YooKassaProvider.from_settings(settings)
        )
        return company.id, checkout.payment.provider_payment_id


async def _open_shop(
    database_url: str, factory: SessionFactory, data_dir: Path, **overrides: object
) -> AsyncIterator[Shop]:
    server = YooKassaServer()
    await server.start()
    settings = _web_settings(database_url, server, data_dir, **overrides)
    try:
        async with serve(create_app(settings)) as web_url:
            server.webhook_url = web_url + WEBHOOK
            company_id, payment_id = await _checkout(factory, settings)
            yield Shop(server, web_url, factory, company_id, payment_id)
    finally:
        await server.stop()


@pytest.fixture
async def shop_web(
    database_url: str, committing_factory: SessionFactory, tmp_path: Path
) -> AsyncIterator[Shop]:
    """Notifications accepted from 127.0.0.1, where the local YooKassa sends them from."""
    async for shop in _open_shop(database_url, committing_factory, tmp_path):
        yield shop


@pytest.fixture
async def proxied_web(
    database_url: str, committing_factory: SessionFactory, tmp_path: Path
) -> AsyncIterator[Shop]:
    """YooKassa's own ranges allowed, behind our proxy at 127.0.0.1 (TRUSTED_PROXIES)."""
    async for shop in _open_shop(
        database_url,
        committing_factory,
        tmp_path,
        yookassa_allowed_ips=Settings().yookassa_allowed_ips,
        trusted_proxies="127.0.0.1",
    ):
        yield shop


async def _state(shop: Shop) -> dict[str, Any]:
    """What the database holds of the company's billing."""
    async with shop.factory() as session:
        payment = await session.scalar(
            select(Payment).where(Payment.provider_payment_id == shop.payment_id)
        )
        assert payment is not None
        invoice = await session.get_one(Invoice, payment.invoice_id)
        subscription = await session.scalar(
            select(Subscription).where(Subscription.company_id == shop.company_id)
        )
        assert subscription is not None
        events = await session.scalar(select(func.count()).select_from(WebhookEvent))
        audits = await session.scalars(
            select(AuditLog.action).where(AuditLog.company_id == shop.company_id)
        )
        notices = await session.scalars(
            select(Notification.kind).where(Notification.company_id == shop.company_id)
        )
        return {
            "payment": payment.status,
            "invoice": invoice.status,
            "subscription": subscription.status,
            "period_end": subscription.current_period_end,
            "events": events,
            "audit": sorted(audits),
            "notices": sorted(notices),
        }


async def _post_from(
    shop: Shop, body: dict[str, Any], *, source: str, forwarded_for: str | list[str] | None = None
) -> httpx.Response:
    """POST a notification from a loopback address of our choosing (127.0.0.0/8 is all ours);
    a list of `forwarded_for` values is sent as that many X-Forwarded-For lines."""
    lines = [forwarded_for] if isinstance(forwarded_for, str) else forwarded_for or []
    headers = [("X-Forwarded-For", line) for line in lines]
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(transport=transport, base_url=shop.web_url) as http:
        return await http.post(WEBHOOK, json=body, headers=headers)


async def test_a_succeeded_payment_settles_after_it_is_fetched_back(shop_web: Shop) -> None:
    before = await _state(shop_web)
    assert (before["payment"], before["subscription"]) == (
        PaymentStatus.PENDING,
        SubscriptionStatus.TRIALING,
    )
    calls = len(shop_web.server.requests)
    assert await shop_web.server.succeed(shop_web.payment_id) == 200
    fetched = shop_web.server.requests[calls:]
    assert [(c.method, c.path, c.authorized) for c in fetched] == [
        ("GET", f"/v3/payments/{shop_web.payment_id}", True)
    ]
    after = await _state(shop_web)
    assert after["payment"] is PaymentStatus.SUCCEEDED
    assert after["invoice"] is InvoiceStatus.PAID
    assert after["subscription"] is SubscriptionStatus.ACTIVE
    assert after["period_end"] > before["period_end"]
    assert after["events"] == 1
    assert "billing.paid" in after["audit"]
    assert after["notices"] == ["billing.paid"]
    again = await _post_from(
        shop_web,
        shop_web.server.notification("payment.succeeded", shop_web.payment_id),
        source="127.0.0.1",
    )
    assert (again.status_code, again.json()) == (200, {"result": "duplicate"})
    assert await _state(shop_web) == after


async def test_a_notification_yookassa_does_not_confirm_is_refused(shop_web: Shop) -> None:
    before = await _state(shop_web)
    forged = shop_web.server.notification("payment.succeeded", shop_web.payment_id)
    forged["object"]["status"] = "succeeded"
    forged["object"]["paid"] = True
    response = await _post_from(shop_web, forged, source="127.0.0.1")
    assert response.status_code == 400
    assert "does not confirm" in response.json()["detail"]
    assert await _state(shop_web) == before


async def test_a_payment_paid_for_less_than_the_invoice_is_refused(shop_web: Shop) -> None:
    before = await _state(shop_web)
    shop_web.server.payments[shop_web.payment_id].value = "1.00"
    assert await shop_web.server.succeed(shop_web.payment_id) == 409
    assert await _state(shop_web) == before


async def test_a_payment_yookassa_never_made_is_refused(shop_web: Shop) -> None:
    before = await _state(shop_web)
    forged = shop_web.server.notification("payment.succeeded", shop_web.payment_id)
    forged["object"]["id"] = "2f0e7a1c-000f-5000-8000-1d1a2b3c4d5e"
    response = await _post_from(shop_web, forged, source="127.0.0.1")
    assert response.status_code == 404
    assert await _state(shop_web) == before


@pytest.mark.parametrize(
    "malformed",
    [
        {"event": ["payment.succeeded"]},
        {"event": {"payment": "succeeded"}},
        {"object": {"id": "p" * 300, "status": "succeeded"}},
        {"event": "refund.succeeded", "object": {"id": "r", "payment_id": "p" * 300}},
    ],
    ids=["event-list", "event-object", "long-id", "long-payment-id"],
)
async def test_a_malformed_notification_is_refused_before_any_lookup(
    shop_web: Shop, malformed: dict[str, Any]
) -> None:
    before = await _state(shop_web)
    body = {**shop_web.server.notification("payment.succeeded", shop_web.payment_id), **malformed}
    calls = len(shop_web.server.requests)

    answer = await _post_from(shop_web, body, source="127.0.0.1")

    assert answer.status_code == 400, answer.text
    assert len(shop_web.server.requests) == calls, "YooKassa was not asked"
    assert await _state(shop_web) == before


async def test_a_notification_from_a_foreign_address_is_refused(shop_web: Shop) -> None:
    before = await _state(shop_web)
    shop_web.server.payments[shop_web.payment_id].status = "succeeded"
    body = shop_web.server.notification("payment.succeeded", shop_web.payment_id)
    response = await _post_from(shop_web, body, source="127.0.0.2")
    assert response.status_code == 403
    assert await _state(shop_web) == before


async def test_a_late_cancel_does_not_undo_a_paid_invoice(shop_web: Shop) -> None:
    assert await shop_web.server.succeed(shop_web.payment_id) == 200
    paid = await _state(shop_web)
    body = shop_web.server.notification("payment.canceled", shop_web.payment_id)
    body["object"]["status"] = "canceled"
    response = await _post_from(shop_web, body, source="127.0.0.1")
    assert response.status_code == 400
    assert await _state(shop_web) == paid


async def test_a_canceled_payment_closes_the_invoice(shop_web: Shop) -> None:
    assert await shop_web.server.cancel(shop_web.payment_id) == 200
    after = await _state(shop_web)
    assert (after["payment"], after["invoice"], after["subscription"]) == (
        PaymentStatus.CANCELED,
        InvoiceStatus.CANCELED,
        SubscriptionStatus.TRIALING,
    )


async def test_forwarded_for_is_believed_only_from_our_proxy(proxied_web: Shop) -> None:
    before = await _state(proxied_web)
    proxied_web.server.payments[proxied_web.payment_id].status = "succeeded"
    body = proxied_web.server.notification("payment.succeeded", proxied_web.payment_id)
    stranger = await _post_from(
        proxied_web, body, source="127.0.0.2", forwarded_for=YOOKASSA_ADDRESS
    )
    unforwarded = await _post_from(proxied_web, body, source="127.0.0.1")
    assert (stranger.status_code, unforwarded.status_code) == (403, 403)
    assert await _state(proxied_web) == before
    through_proxy = await _post_from(
        proxied_web, body, source="127.0.0.1", forwarded_for=f"10.9.8.7, {YOOKASSA_ADDRESS}"
    )
    assert (through_proxy.status_code, through_proxy.json()) == (200, {"result": "applied"})
    assert (await _state(proxied_web))["payment"] is PaymentStatus.SUCCEEDED


async def test_a_senders_own_forwarded_for_line_is_not_believed(proxied_web: Shop) -> None:
    before = await _state(proxied_web)
    proxied_web.server.payments[proxied_web.payment_id].status = "succeeded"
    body = proxied_web.server.notification("payment.succeeded", proxied_web.payment_id)

    # The sender claims YooKassa's address in its own line; our proxy appends a second line
    # with the address it saw.
    forged = await _post_from(
        proxied_web, body, source="127.0.0.1", forwarded_for=[YOOKASSA_ADDRESS, "10.9.8.7"]
    )

    assert forged.status_code == 403, forged.text
    assert await _state(proxied_web) == before
