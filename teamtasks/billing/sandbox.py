"""The sandbox provider: the embedded stand-in for a real one, in the demo and the tests.

Its pay page is served by `teamtasks web` (`/payments/sandbox/pay/{id}`); pressing Pay or
Decline there makes the sandbox send a notification to our own webhook, over HTTP, as a real
provider would. A notification is signed, and checked, like this:

    X-Sandbox-Timestamp: 1795000000                       (Unix seconds when it was sent)
    X-Sandbox-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

    {"id": "<event id>", "type": "payment.succeeded" | "payment.canceled",
     "payment": {"id": "sbx_...", "status": "succeeded", "amount_minor": 99000,
                 "currency": "RUB", "metadata": {...}}}

A timestamp more than 5 minutes away from our clock is refused (stale), so a captured request
cannot be replayed later; within those minutes a replay carries the same event id and settles
as a duplicate that changes nothing. The signature covers the timestamp, so neither can be
changed alone. Notifications carry the payment's state (they are signed), so settlement never
needs `fetch_payment`: the sandbox keeps no records of its own (the pay page reads ours).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from teamtasks.billing.base import (
    CreatedPayment,
    IncomingRequest,
    Notification,
    NotificationRejectedError,
    PaymentRequest,
    PaymentState,
    ProviderUnavailableError,
)
from teamtasks.config import Settings
from teamtasks.development_secrets import development_secret
from teamtasks.models.base import utcnow
from teamtasks.models.enums import PaymentProvider, PaymentStatus

TIMESTAMP_HEADER = "x-sandbox-timestamp"
SIGNATURE_HEADER = "x-sandbox-signature"
SIGNATURE_VERSION = "v1="
TOLERANCE = timedelta(minutes=5)
SECRET_FILE = "sandbox.secret"
PAY_PATH = "/payments/sandbox/pay/"
WEBHOOK_PATH = "/payments/sandbox/webhook"
ID_PREFIX = "sbx_"
EVENT_ID_MAX = 128
EVENTS: Mapping[PaymentStatus, str] = {
    PaymentStatus.SUCCEEDED: "payment.succeeded",
    PaymentStatus.CANCELED: "payment.canceled",
}


class SandboxProvider:
    name = PaymentProvider.SANDBOX
    can_fetch = False

    def __init__(
        self, *, secret: bytes, web_url: str, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._secret = secret
        self._web_url = web_url.rstrip("/")
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxProvider:
        """Signing with SANDBOX_SECRET, or (outside production) a random one under DATA_DIR."""
        if settings.sandbox_secret is not None:
            secret = settings.sandbox_secret.get_secret_value().encode()
        else:
            secret = development_secret(settings.data_dir / SECRET_FILE)
        return cls(secret=secret, web_url=settings.web_url)

    @property
    def webhook_url(self) -> str:
        return self._web_url + WEBHOOK_PATH

    async def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        """A payment whose id is derived from the idempotency key: the same key, the same id."""
        digest = hmac.new(
            self._secret, b"payment:" + request.idempotency_key.encode(), hashlib.sha256
        )
        payment_id = ID_PREFIX + digest.hexdigest()[:32]
        return CreatedPayment(
            provider_payment_id=payment_id,
            status=PaymentStatus.PENDING,
            confirmation_url=self._web_url + PAY_PATH + payment_id,
        )

    async def fetch_payment(self, provider_payment_id: str) -> PaymentState:
        raise ProviderUnavailableError(
            "the sandbox keeps no records: its signed notifications carry the payment's state"
        )

    def sign(self, body: bytes, timestamp: int) -> str:
        """The signature header's value for this body sent at this time."""
        mac = hmac.new(self._secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
        return SIGNATURE_VERSION + mac.hexdigest()

    def notification(
        self, state: PaymentState, *, event_id: str | None = None, at: datetime | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the notification the sandbox sends about `state`."""
        body = json.dumps(
            {
                "id": event_id or f"evt_{uuid.uuid4().hex}",
                "type": EVENTS.get(state.status, f"payment.{state.status.value}"),
                "payment": {
                    "id": state.provider_payment_id,
                    "status": state.status.value,
                    "amount_minor": state.amount_minor,
                    "currency": state.currency,
                    "metadata": dict(state.metadata),
                },
            },
            separators=(",", ":"),
        ).encode()
        timestamp = int((at or self._clock()).timestamp())
        headers = {
            "Content-Type": "application/json",
            "X-Sandbox-Timestamp": str(timestamp),
            "X-Sandbox-Signature": self.sign(body, timestamp),
        }
        return body, headers

    async def send(self, http: httpx.AsyncClient, state: PaymentState) -> httpx.Response:
        """Post a signed notification about `state` to our webhook, as a provider would."""
        body, headers = self.notification(state)
        return await http.post(self.webhook_url, content=body, headers=headers)

    async def parse_notification(self, request: IncomingRequest) -> Notification:
        timestamp = _timestamp(request.headers.get(TIMESTAMP_HEADER))
        signature = request.headers.get(SIGNATURE_HEADER, "")
        expected = self.sign(request.body, timestamp)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise NotificationRejectedError("bad signature", status_code=401)
        sent_at = datetime.fromtimestamp(timestamp, tz=UTC)
        if abs(self._clock() - sent_at) > TOLERANCE:
            raise NotificationRejectedError("stale timestamp")
        event = _json_object(request.body)
        state = _state(event.get("payment"))
        event_id = event.get("id")
        event_type = event.get("type")
        if not isinstance(event_id, str) or not 0 < len(event_id) <= EVENT_ID_MAX:
            raise NotificationRejectedError("malformed notification: id")
        if not isinstance(event_type, str) or not 0 < len(event_type) <= 64:
            raise NotificationRejectedError("malformed notification: type")
        return Notification(
            event_key=event_id,
            event_type=event_type,
            provider_payment_id=state.provider_payment_id,
            payload=event,
            state=state,
        )


def _timestamp(value: str | None) -> int:
    if value is None or not value.isdecimal() or len(value) > 12:
        raise NotificationRejectedError("missing or malformed timestamp")
    return int(value)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        raise NotificationRejectedError("malformed notification: not JSON") from None
    if not isinstance(value, dict):
        raise NotificationRejectedError("malformed notification: not an object")
    return value


def _state(payment: object) -> PaymentState:
    if not isinstance(payment, dict):
        raise NotificationRejectedError("malformed notification: payment")
    payment_id, status, amount, currency = (
        payment.get(field) for field in ("id", "status", "amount_minor", "currency")
    )
    metadata = payment.get("metadata", {})
    if not isinstance(payment_id, str) or not 0 < len(payment_id) <= 128:
        raise NotificationRejectedError("malformed notification: payment id")
    if status not in {item.value for item in PaymentStatus}:
        raise NotificationRejectedError("malformed notification: status")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise NotificationRejectedError("malformed notification: amount")
    if not isinstance(currency, str) or len(currency) != 3:
        raise NotificationRejectedError("malformed notification: currency")
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise NotificationRejectedError("malformed notification: metadata")
    return PaymentState(
        provider_payment_id=payment_id,
        status=PaymentStatus(status),
        amount_minor=amount,
        currency=currency,
        metadata=metadata,
    )
