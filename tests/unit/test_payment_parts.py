"""The sandbox's signatures and time window, the client address behind proxies, the payment
settings and their secrets kept out of the logs, and amounts as people read them: pure
functions, no servers."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import pytest
import structlog

from teamtasks.billing.base import (
    IncomingRequest,
    NotificationRejectedError,
    PaymentRequest,
    PaymentState,
)
from teamtasks.billing.registry import UnknownProviderError, create_registry
from teamtasks.billing.sandbox import SandboxProvider
from teamtasks.config import ConfigError, LogFormat, Settings, load_settings
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Language, PaymentProvider, PaymentStatus
from teamtasks.observability.logging import REDACTED, configure_logging
from teamtasks.services.money import format_amount
from teamtasks.web.client_ip import client_ip
from tests.support.logs import configure_test_logging

NOW = utcnow()
STATE = PaymentState(
    provider_payment_id="sbx_1", status=PaymentStatus.SUCCEEDED, amount_minor=99_000, currency="RUB"
)


def _sandbox(at: timedelta = timedelta(0)) -> SandboxProvider:
    return SandboxProvider(secret=b"k" * 32, web_url="http://web", clock=lambda: NOW + at)


def _request(body: bytes, headers: dict[str, str]) -> IncomingRequest:
    return IncomingRequest(
        body=body, headers={k.lower(): v for k, v in headers.items()}, client_ip=None
    )


async def test_a_signed_notification_carries_the_payments_state() -> None:
    body, headers = _sandbox().notification(STATE, event_id="evt-1")
    notification = await _sandbox().parse_notification(_request(body, headers))
    assert notification.event_key == "evt-1"
    assert notification.event_type == "payment.succeeded"
    assert notification.state == STATE


@pytest.mark.parametrize(
    ("received_after", "accepted"),
    [
        (timedelta(minutes=4, seconds=59), True),
        (-timedelta(minutes=4, seconds=59), True),
        (timedelta(minutes=5, seconds=2), False),
        (-timedelta(minutes=5, seconds=2), False),
    ],
)
async def test_notifications_are_accepted_within_five_minutes(
    received_after: timedelta, accepted: bool
) -> None:
    body, headers = _sandbox().notification(STATE)
    receiver = _sandbox(at=received_after)
    if accepted:
        assert (await receiver.parse_notification(_request(body, headers))).state == STATE
    else:
        with pytest.raises(NotificationRejectedError, match="stale timestamp"):
            await receiver.parse_notification(_request(body, headers))


async def test_the_signature_covers_the_timestamp() -> None:
    body, headers = _sandbox().notification(STATE)
    headers["X-Sandbox-Timestamp"] = str(int(headers["X-Sandbox-Timestamp"]) + 1)
    with pytest.raises(NotificationRejectedError) as refused:
        await _sandbox().parse_notification(_request(body, headers))
    assert (refused.value.reason, refused.value.status_code) == ("bad signature", 401)


async def test_creating_a_payment_twice_with_one_key_gives_one_payment() -> None:
    request = PaymentRequest(
        amount_minor=99_000, currency="RUB", description="Team", idempotency_key="invoice-1-a"
    )
    first = await _sandbox().create_payment(request)
    second = await _sandbox().create_payment(request)
    other = await _sandbox().create_payment(
        PaymentRequest(99_000, "RUB", "Team", idempotency_key="invoice-2-b")
    )
    assert first == second
    assert first.provider_payment_id != other.provider_payment_id
    assert first.confirmation_url == f"http://web/payments/sandbox/pay/{first.provider_payment_id}"


PROXIES = [ip_network("10.0.0.0/8"), ip_network("127.0.0.1/32")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.7", None, "203.0.113.7"),
        ("203.0.113.7", "77.75.153.1", "203.0.113.7"),
        ("10.0.0.2", "77.75.153.1", "77.75.153.1"),
        ("10.0.0.2", "1.2.3.4, 77.75.153.1, 10.0.0.9", "77.75.153.1"),
        ("10.0.0.2", "77.75.153.1, garbage", "10.0.0.2"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("::ffff:10.0.0.2", "185.71.76.5", "185.71.76.5"),
        (None, "1.2.3.4", None),
    ],
)
def test_the_client_address_believes_only_our_proxies(
    peer: str | None, forwarded: str | None, client: str | None
) -> None:
    assert client_ip(peer, forwarded, PROXIES) == client


def test_payment_settings(tmp_path: Path) -> None:
    settings = load_settings(
        payment_providers=" Sandbox , sandbox", data_dir=tmp_path, _env_file=None
    )
    assert settings.enabled_payment_providers == ("sandbox",)
    registry = create_registry(settings)
    assert registry.names == (PaymentProvider.SANDBOX,)
    with pytest.raises(UnknownProviderError):
        registry.get("yookassa")
    with pytest.raises(UnknownProviderError):
        registry.get("../etc")
    with pytest.raises(ConfigError, match="PAYMENT_PROVIDERS: unknown provider paypal"):
        load_settings(payment_providers="sandbox,paypal", _env_file=None)
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_settings(trusted_proxies="10.0.0.0/8,proxy.local", _env_file=None)
    with pytest.raises(ConfigError, match="SANDBOX_SECRET"):
        load_settings(sandbox_secret="short", _env_file=None)
    with pytest.raises(ConfigError, match="must not include sandbox in production"):
        load_settings(
            environment="production",
            database_url="postgresql://db/teamtasks",
            storage_url="s3://files",
            s3_access_key_id="a",
            s3_secret_access_key="b",
            _env_file=None,
        )


YOOKASSA_KEY = "live_yookassa-secret-key-0123456789"
SANDBOX_KEY = "sandbox-secret-of-at-least-32-characters"
S3_KEY = "s3-secret-access-key-of-the-store"
LINK_KEY = "file-link-secret-of-at-least-32-characters"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    settings = Settings(
        yookassa_shop_id="123456",
        yookassa_secret_key=YOOKASSA_KEY,
        sandbox_secret=SANDBOX_KEY,
        storage_url="s3://teamtasks-files",
        s3_access_key_id="teamtasks",
        s3_secret_access_key=S3_KEY,
        file_link_secret=LINK_KEY,
    )
    configure_logging(settings, stream=stream)
    yield stream
    configure_test_logging()


def test_the_payment_and_storage_secrets_are_scrubbed_from_every_log_line(
    log_stream: io.StringIO,
) -> None:
    structlog.stdlib.get_logger("teamtasks.test").warning(
        "payment_failed", auth=f"123456:{YOOKASSA_KEY}", signed_with=SANDBOX_KEY
    )
    structlog.stdlib.get_logger("teamtasks.test").warning(
        "storage_failed", credentials=f"teamtasks/{S3_KEY}", link_key=LINK_KEY
    )
    logging.getLogger("httpx").error("POST https://123456:%s@api.yookassa.ru/v3", YOOKASSA_KEY)

    written = log_stream.getvalue()
    assert len(written.splitlines()) == 3
    for secret in (YOOKASSA_KEY, SANDBOX_KEY, S3_KEY, LINK_KEY):
        assert secret not in written
    assert written.count(REDACTED) == 5


def test_a_failure_logged_in_console_format_shows_its_traceback_but_no_locals() -> None:
    """A local of a failing frame may hold anything (a user's text, a key not in the settings);
    the console format prints the traceback as Python does, never the frames' variables."""
    stream = io.StringIO()
    configure_logging(Settings(log_format=LogFormat.CONSOLE), stream=stream)
    try:
        held_in_a_local = "private-value-of-a-local-variable"
        raise RuntimeError(f"failed after {len(held_in_a_local)} characters")
    except RuntimeError:
        structlog.stdlib.get_logger("teamtasks.test").exception("update_failed")
    finally:
        configure_test_logging()

    written = stream.getvalue()
    assert "update_failed" in written
    assert "Traceback (most recent call last):" in written
    assert "RuntimeError: failed after 33 characters" in written
    assert "private-value-of-a-local-variable" not in written


def test_amounts_as_people_read_them() -> None:
    assert format_amount(99_000, "RUB", Language.EN) == "990 ₽"
    assert format_amount(299_050, "RUB", Language.RU) == "2\u00a0990,50 ₽"
    assert format_amount(299_050, "RUB", Language.EN) == "2,990.50 ₽"
    assert format_amount(650, "XTR", Language.RU) == "650 ⭐"
