"""YooKassa (API v3) over httpx: cards and SBP by a redirect to YooKassa's own page.

YooKassa does not sign its notifications, so one is never trusted as it stands: the sender's
address must be in the allowlist (YOOKASSA_ALLOWED_IPS, YooKassa's published ranges by
default), and settlement uses only the payment as `fetch_payment` reads it back from the API.
`parse_notification` therefore returns no state, and `confirms` says whether the state read
back is what the notification claimed (a `payment.succeeded` about a payment the API calls
pending is forged, or premature: refused either way; the web route asks it).

Requests time out, and a network error, a 5xx, a 429 or YooKassa's 202 "still processing" is
retried with the same Idempotence-Key (YooKassa then answers with the payment it already
created); after the last attempt the caller gets `ProviderUnavailableError`. A 4xx is not
retried; fetching a payment YooKassa does not know refuses the notification that named it (404).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from teamtasks.billing.base import (
    CreatedPayment,
    IncomingRequest,
    Notification,
    NotificationRejectedError,
    PaymentRequest,
    PaymentState,
    ProviderUnavailableError,
)
from teamtasks.config import IPNetwork, Settings
from teamtasks.models.enums import PaymentProvider, PaymentStatus

log = structlog.stdlib.get_logger("teamtasks.billing.yookassa")

MINOR_PER_MAJOR = 100
"""Every currency YooKassa charges in (RUB, USD, EUR, ...) has two decimal places."""

PAYMENT_EVENTS = frozenset({"payment.succeeded", "payment.canceled", "payment.waiting_for_capture"})
REFUND_EVENT = "refund.succeeded"

EVENT_STATUS: Mapping[str, frozenset[PaymentStatus]] = {
    "payment.succeeded": frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED}),
    "payment.canceled": frozenset({PaymentStatus.CANCELED}),
    "payment.waiting_for_capture": frozenset({PaymentStatus.PENDING}),
    REFUND_EVENT: frozenset({PaymentStatus.REFUNDED, PaymentStatus.SUCCEEDED}),
}
"""What the payment read back must be for each event to be true. A payment refunded since it
succeeded still confirms `payment.succeeded`: YooKassa may deliver that one late. A refund of
part of a payment leaves it succeeded (it is settled as such: nothing changes); the one that
completes its refunds leaves it refunded."""

STATUSES: Mapping[str, PaymentStatus] = {
    "pending": PaymentStatus.PENDING,
    "waiting_for_capture": PaymentStatus.PENDING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}

DESCRIPTION_MAX = 128
"""YooKassa refuses a longer payment description."""
ID_MAX = 128
"""The longest object id a notification may name (our payment id column's width; YooKassa's
own ids are 36-character UUIDs), so its event key fits the events table."""


def to_amount(amount_minor: int) -> str:
    """Minor units as YooKassa's decimal string: 99000 -> "990.00"."""
    if amount_minor < 0:
        raise ValueError("an amount cannot be negative")
    major, minor = divmod(amount_minor, MINOR_PER_MAJOR)
    return f"{major}.{minor:02d}"


def from_amount(value: object) -> int:
    """YooKassa's decimal string as minor units, exactly: "990.00" -> 99000."""
    if not isinstance(value, str):
        raise ValueError("an amount must be a decimal string")
    try:
        minor = Decimal(value) * MINOR_PER_MAJOR
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {value!r}") from None
    if not minor.is_finite() or minor != minor.to_integral_value() or minor < 0:
        raise ValueError(f"not an amount in whole minor units: {value!r}")
    return int(minor)


def address_allowed(client_ip: str | None, networks: Iterable[IPNetwork]) -> bool:
    """Whether the sender's address lies in one of the networks (IPv4-mapped IPv6 included)."""
    if not client_ip:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


class RefusedError(ProviderUnavailableError):
    """YooKassa answered 4xx (bad credentials, a bad request, no such payment): not retried."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a request is sent, and the pause before the n-th repeat."""

    attempts: int = 3
    backoff: float = 0.5
    """Seconds before the first repeat, doubled for each next one."""
    timeout: float = 10.0

    def pause(self, attempt: int) -> float:
        return float(self.backoff * 2 ** (attempt - 1))


class YooKassaProvider:
    """The YooKassa adapter; one per process, it keeps no connection between calls."""

    name = PaymentProvider.YOOKASSA
    can_fetch = True

    def __init__(
        self,
        *,
        shop_id: str,
        secret_key: str,
        api_url: str,
        allowed_networks: Iterable[IPNetwork],
        default_return_url: str,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._auth = httpx.BasicAuth(shop_id, secret_key)
        self._api_url = api_url.rstrip("/")
        self._networks = tuple(allowed_networks)
        self._default_return_url = default_return_url
        self._retry = retry or RetryPolicy()
        self._ssl_context: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> YooKassaProvider:
        """The provider as configured; ConfigError (from Settings) names a missing part."""
        shop_id, secret_key = settings.require_yookassa()
        return cls(
            shop_id=shop_id,
            secret_key=secret_key,
            api_url=settings.yookassa_api_url,
            allowed_networks=settings.yookassa_networks,
            default_return_url=settings.web_url,
        )

    async def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        body = {
            "amount": {"value": to_amount(request.amount_minor), "currency": request.currency},
            "capture": True,
            "confirmation": {
                "type": "redirect",
                "return_url": request.return_url or self._default_return_url,
            },
            "description": request.description[:DESCRIPTION_MAX],
            "metadata": dict(request.metadata),
        }
        answer = await self._call(
            "POST", "/payments", body=body, idempotency_key=request.idempotency_key
        )
        state = _state(answer)
        confirmation = answer.get("confirmation")
        url = confirmation.get("confirmation_url") if isinstance(confirmation, dict) else None
        log.info(
            "yookassa_payment_created",
            provider_payment_id=state.provider_payment_id,
            status=state.status,
        )
        return CreatedPayment(
            provider_payment_id=state.provider_payment_id,
            status=state.status,
            confirmation_url=url if isinstance(url, str) else None,
        )

    async def parse_notification(self, request: IncomingRequest) -> Notification:
        if not address_allowed(request.client_ip, self._networks):
            raise NotificationRejectedError(
                f"sender {request.client_ip} is not in YOOKASSA_ALLOWED_IPS", status_code=403
            )
        try:
            body = json.loads(request.body)
        except ValueError:
            raise NotificationRejectedError("the body is not JSON") from None
        if not isinstance(body, dict) or body.get("type") != "notification":
            raise NotificationRejectedError("not a YooKassa notification")
        event = body.get("event")
        subject = body.get("object")
        if not isinstance(subject, dict) or not _an_id(subject.get("id")):
            raise NotificationRejectedError("the notification names no object")
        if not isinstance(event, str):
            raise NotificationRejectedError("the notification's event is not a string")
        if event in PAYMENT_EVENTS:
            payment_id = subject["id"]
        elif event == REFUND_EVENT and _an_id(subject.get("payment_id")):
            payment_id = subject["payment_id"]
        else:
            raise NotificationRejectedError(f"unsupported event {event[:64]!r}")
        return Notification(
            event_key=f"{event}:{subject['id']}",
            event_type=str(event),
            provider_payment_id=payment_id,
            payload=body,
        )

    async def fetch_payment(self, provider_payment_id: str) -> PaymentState:
        try:
            answer = await self._call("GET", f"/payments/{quote(provider_payment_id, safe='')}")
        except RefusedError as exc:
            if exc.status_code == httpx.codes.NOT_FOUND:
                raise NotificationRejectedError(
                    "YooKassa knows no such payment", status_code=404
                ) from None
            raise
        return _state(answer)

    def confirms(self, notification: Notification, state: PaymentState) -> bool:
        """Whether the payment read back from the API is what the notification said happened."""
        return (
            state.provider_payment_id == notification.provider_payment_id
            and state.status in EVENT_STATUS.get(notification.event_type, frozenset())
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """One API call, repeated (same key) while the outcome is unknown or YooKassa is busy."""
        headers = {"Idempotence-Key": idempotency_key} if idempotency_key else {}
        problem = "no attempt was made"
        async with httpx.AsyncClient(
            auth=self._auth,
            timeout=self._retry.timeout,
            verify=self._verify(),
            headers={"Accept": "application/json"},
        ) as client:
            for attempt in range(1, self._retry.attempts + 1):
                if attempt > 1:
                    await asyncio.sleep(self._retry.pause(attempt - 1))
                try:
                    response = await client.request(
                        method, self._api_url + path, json=body, headers=headers
                    )
                except httpx.TransportError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                    log.warning("yookassa_unreachable", path=path, attempt=attempt, error=problem)
                    continue
                if response.status_code == httpx.codes.OK:
                    return _json_object(response)
                problem = _describe(response)
                if response.status_code == httpx.codes.ACCEPTED or _transient(response):
                    log.warning("yookassa_retry", path=path, attempt=attempt, error=problem)
                    continue
                log.error("yookassa_refused", path=path, error=problem)
                raise RefusedError(
                    f"YooKassa refused {method} {path}: {problem}", response.status_code
                )
        raise ProviderUnavailableError(
            f"YooKassa did not answer {method} {path} after {self._retry.attempts} attempts: "
            f"{problem}"
        )

    def _verify(self) -> ssl.SSLContext | bool:
        """One TLS context for the process: building one loads every CA, ~20 ms."""
        if not self._api_url.startswith("https://"):
            return True
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context


def _an_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= ID_MAX


def _transient(response: httpx.Response) -> bool:
    return response.status_code >= httpx.codes.INTERNAL_SERVER_ERROR or (
        response.status_code == httpx.codes.TOO_MANY_REQUESTS
    )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        raise ProviderUnavailableError("YooKassa answered with a body that is not JSON") from None
    if not isinstance(answer, dict):
        raise ProviderUnavailableError("YooKassa answered with JSON that is not an object")
    return answer


def _describe(response: httpx.Response) -> str:
    """Status and YooKassa's error code, never the request (its headers carry the key)."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("code"):
        return f"HTTP {response.status_code} {answer['code']}: {answer.get('description', '')}"
    return f"HTTP {response.status_code}"


def _state(payment: Mapping[str, Any]) -> PaymentState:
    """A payment object of the API as our `PaymentState`; a malformed one is unavailable."""
    try:
        payment_id = payment["id"]
        status = STATUSES[payment["status"]]
        amount = payment["amount"]
        amount_minor = from_amount(amount["value"])
        currency = amount["currency"]
        refunded = payment.get("refunded_amount")
        fully_refunded = refunded is not None and from_amount(refunded["value"]) >= amount_minor
        if fully_refunded and status is PaymentStatus.SUCCEEDED:
            status = PaymentStatus.REFUNDED
        metadata = payment.get("metadata") or {}
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderUnavailableError(f"YooKassa sent a payment we cannot read: {exc}") from None
    if not isinstance(payment_id, str) or not isinstance(currency, str):
        raise ProviderUnavailableError("YooKassa sent a payment without an id or currency")
    return PaymentState(
        provider_payment_id=payment_id,
        status=status,
        amount_minor=amount_minor,
        currency=currency,
        metadata={str(key): str(value) for key, value in dict(metadata).items()},
    )
