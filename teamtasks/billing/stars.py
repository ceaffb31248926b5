"""Telegram Stars (XTR): invoices the bot sends, paid inside Telegram, refunded by the bot.

No HTTP provider is involved. A Stars payment is an invoice message (`sendInvoice` with an
empty `provider_token` and one price in whole stars); Telegram asks the bot to approve the
checkout (`pre_checkout_query`, answered within 10 s), and the payment arrives as a
`successful_payment` message over the bot's own authenticated channel (polling, or the webhook
with its secret). So there is nothing for `parse_notification` to verify (Telegram never calls
/payments/stars/webhook) and nothing to fetch: `notification_of` turns the message into a
notification that carries its state, settled by the same `billing.settle` as every provider.

Our payment id is the invoice payload, `inv<invoice id>_<nonce>` (the nonce from the
idempotency key, so a payload cannot be guessed from an invoice number); the idempotency key
of the webhook_events row is Telegram's `telegram_payment_charge_id`, which a refund names.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import AiogramError, TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import SendInvoice
from aiogram.types import LabeledPrice, SuccessfulPayment

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
from teamtasks.models.enums import PaymentProvider, PaymentStatus

STARS = "XTR"
EVENT_TYPE = "successful_payment"
PAYLOAD_RE = re.compile(r"^inv(\d{1,18})_([0-9a-f]{16})$")
TITLE_MAX = 32
DESCRIPTION_MAX = 255
ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"


def invoice_payload(invoice_id: int, idempotency_key: str) -> str:
    """The invoice's payload (at most 128 bytes): the invoice id and a nonce from the key."""
    nonce = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
    return f"inv{invoice_id}_{nonce}"


def invoice_id_of(payload: str) -> int | None:
    """The invoice id in a payload of ours, or None for anything else."""
    match = PAYLOAD_RE.match(payload)
    return int(match.group(1)) if match else None


class StarsProvider:
    name = PaymentProvider.STARS
    can_fetch = False

    @classmethod
    def from_settings(cls, settings: Settings) -> StarsProvider:
        return cls()

    async def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        """The payment's id is the payload of the invoice the bot will send; no request made."""
        if request.currency != STARS:
            raise ValueError(f"Stars payments are in {STARS}, not {request.currency}")
        invoice_id = int(request.metadata["invoice_id"])
        return CreatedPayment(
            provider_payment_id=invoice_payload(invoice_id, request.idempotency_key),
            status=PaymentStatus.PENDING,
            confirmation_url=None,
        )

    async def parse_notification(self, request: IncomingRequest) -> Notification:
        raise NotificationRejectedError(
            "Stars payments arrive as Telegram updates, never at this URL", status_code=404
        )

    async def fetch_payment(self, provider_payment_id: str) -> PaymentState:
        raise ProviderUnavailableError(
            "Telegram keeps no payment to fetch: a successful_payment carries its state"
        )


def invoice_message(
    *, chat_id: int, title: str, description: str, payload: str, label: str, amount: int
) -> SendInvoice:
    """The unsent `sendInvoice` for a Stars invoice: one price, no provider token."""
    return SendInvoice(
        chat_id=chat_id,
        title=title[:TITLE_MAX],
        description=description[:DESCRIPTION_MAX],
        payload=payload,
        provider_token="",
        currency=STARS,
        prices=[LabeledPrice(label=label[:TITLE_MAX], amount=amount)],
    )


def notification_of(payment: SuccessfulPayment, *, payer_id: int) -> Notification:
    """A `successful_payment` as a notification with its state (Telegram's word is final)."""
    state = PaymentState(
        provider_payment_id=payment.invoice_payload,
        status=PaymentStatus.SUCCEEDED,
        amount_minor=payment.total_amount,
        currency=payment.currency,
        metadata={"telegram_payment_charge_id": payment.telegram_payment_charge_id},
    )
    return Notification(
        event_key=payment.telegram_payment_charge_id,
        event_type=EVENT_TYPE,
        provider_payment_id=payment.invoice_payload,
        payload={
            "telegram_payment_charge_id": payment.telegram_payment_charge_id,
            "invoice_payload": payment.invoice_payload,
            "total_amount": payment.total_amount,
            "currency": payment.currency,
            "payer_id": payer_id,
        },
        state=state,
    )


REFUND_TIMEOUT = 15
"""Seconds a refund may wait for Telegram's answer: an owed one is asked again later, so it
need not hold its transaction (and the worker's run) for aiogram's default minute."""


async def refund(bot: Bot, *, payer_id: int, charge_id: str) -> None:
    """Give the stars back (`refundStarPayment`); a charge refunded before counts as done, so a
    refund whose transaction failed after Telegram's answer can be run again."""
    try:
        await bot.refund_star_payment(
            user_id=payer_id, telegram_payment_charge_id=charge_id, request_timeout=REFUND_TIMEOUT
        )
    except TelegramBadRequest as exc:
        if ALREADY_REFUNDED not in exc.message:
            raise


@dataclass(frozen=True)
class RefundAttempt:
    """What came of asking Telegram for a refund once."""

    given_back: bool
    error: str | None = None
    final: bool = False
    """Telegram refused it for good (a Bad Request): asking again would not change its answer."""
    retry_after: int | None = None
    """Seconds Telegram's flood control asked to wait, if that was its answer."""


async def try_refund(bot: Bot, *, payer_id: int, charge_id: str) -> RefundAttempt:
    """`refund`, its failure told rather than raised: a Bad Request is final; any other failure
    (no answer, Telegram's own error, flood control, a proxy's page that is not the Bot API's
    JSON) may pass."""
    try:
        await refund(bot, payer_id=payer_id, charge_id=charge_id)
    except TelegramBadRequest as exc:
        return RefundAttempt(given_back=False, error=exc.message, final=True)
    except TelegramRetryAfter as exc:
        return RefundAttempt(given_back=False, error=exc.message, retry_after=exc.retry_after)
    except AiogramError as exc:
        return RefundAttempt(given_back=False, error=str(exc) or type(exc).__name__)
    return RefundAttempt(given_back=True)
