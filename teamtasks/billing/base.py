"""The one interface every payment provider implements, and the values that cross it.

A provider creates a payment (with an idempotency key, so a retried request never charges
twice), turns an incoming notification into a `Notification` it has verified (or refuses it
with `NotificationRejectedError`), and fetches a payment's state from its own records. Settlement
(teamtasks/services/billing) trusts only a `PaymentState`: for providers whose notifications
are not signed (YooKassa), the state is fetched back from the provider's API before settling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from teamtasks.models.enums import PaymentProvider as ProviderName
from teamtasks.models.enums import PaymentStatus


class NotificationRejectedError(Exception):
    """A notification that must not be trusted; `reason` is logged and answered with a 4xx."""

    def __init__(self, reason: str, *, status_code: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class ProviderUnavailableError(Exception):
    """The provider could not be reached or answered 5xx; the caller may retry later."""


@dataclass(frozen=True)
class PaymentRequest:
    """What we ask a provider to charge; `idempotency_key` is stable for one attempt."""

    amount_minor: int
    currency: str
    description: str
    idempotency_key: str
    return_url: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CreatedPayment:
    provider_payment_id: str
    status: PaymentStatus
    confirmation_url: str | None
    """Where the payer confirms (a redirect page); None when the provider needs none (Stars)."""


@dataclass(frozen=True)
class PaymentState:
    """A payment as the provider's own records have it: the only thing settlement trusts."""

    provider_payment_id: str
    status: PaymentStatus
    amount_minor: int
    currency: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """A notification that passed the provider's checks (signature, time, source address)."""

    event_key: str
    """Unique per provider and event: the idempotency key of the webhook_events row."""
    event_type: str
    provider_payment_id: str
    payload: Mapping[str, Any]
    state: PaymentState | None = None
    """The payment's state when the notification itself is trusted to carry it (signed);
    None when settlement must fetch it from the provider."""


@dataclass(frozen=True)
class IncomingRequest:
    """The parts of an HTTP request a provider may verify, free of any web framework."""

    body: bytes
    headers: Mapping[str, str]
    """Header names in lower case."""
    client_ip: str | None
    """The payer-side address as the web layer resolved it (proxy headers handled there)."""


class Provider(Protocol):
    name: ProviderName
    can_fetch: bool
    """Whether `fetch_payment` can read a payment back (the sandbox and Stars keep no records):
    reconciliation asks only such providers."""

    async def create_payment(self, request: PaymentRequest) -> CreatedPayment: ...

    async def parse_notification(self, request: IncomingRequest) -> Notification:
        """Verify and parse; raise NotificationRejectedError for anything not to be trusted."""
        ...

    async def fetch_payment(self, provider_payment_id: str) -> PaymentState:
        """The payment's state from the provider; ProviderUnavailableError when it cannot answer."""
        ...
