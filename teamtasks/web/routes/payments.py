"""Payment providers' webhooks, and the sandbox provider's pay page.

`POST /payments/{provider}/webhook`: the provider verifies and parses the notification (its
signature, time and sender address: NotificationRejectedError otherwise), its state is fetched
back when the notification carries none, and `billing.settle` settles it in one unit of work.
200 for an applied, duplicate or ignored event; a refusal is a 4xx whose JSON `detail` says why
and changes nothing; 503 only when the provider itself cannot be asked (it delivers again).
Every answer is logged and counted (`teamtasks_payment_webhooks_total`).

`/payments/sandbox/pay/{id}`: the sandbox's own page (amount, plan, Pay and Decline). Pressing
a button makes the sandbox send its signed notification to our webhook over HTTP, as a real
provider would, then shows the page again with the payment's state.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from typing import Annotated

import httpx
import structlog
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from teamtasks.billing.base import (
    IncomingRequest,
    NotificationRejectedError,
    PaymentState,
    ProviderUnavailableError,
)
from teamtasks.billing.registry import (
    ConfirmingProvider,
    Registry,
    UnknownProviderError,
    create_registry,
)
from teamtasks.billing.sandbox import PAY_PATH, SandboxProvider
from teamtasks.bot import outbox
from teamtasks.config import Settings
from teamtasks.db import unit_of_work
from teamtasks.i18n import gettext, language_from_telegram
from teamtasks.models.enums import Language, PaymentProvider, PaymentStatus
from teamtasks.observability.metrics import observe_payment, observe_webhook
from teamtasks.services import billing
from teamtasks.services.billing import PayPage, Settlement
from teamtasks.services.errors import PaymentRejected, UnknownPayment
from teamtasks.services.money import format_amount
from teamtasks.services.outbox import written_in
from teamtasks.web.client_ip import client_ip
from teamtasks.web.deps import StateDep

router = APIRouter(tags=["payments"])
log = structlog.stdlib.get_logger("teamtasks.payments")

PaymentId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
"""A provider's payment id as the sandbox makes them (anything else is not one: 422)."""
SANDBOX_TIMEOUT = 30.0


class WebhookAnswer(BaseModel):
    result: Settlement


class Refusal(BaseModel):
    detail: str


_REFUSALS = {code: {"model": Refusal} for code in (400, 401, 403, 404, 409, 503)}
_JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@lru_cache(maxsize=4)
def payment_providers(settings: Settings) -> Registry:
    """The providers of this app's settings, built once per process."""
    return create_registry(settings)


@router.post(
    "/payments/{provider}/webhook",
    response_model=WebhookAnswer,
    responses=_REFUSALS,  # type: ignore[arg-type]
    openapi_extra=_JSON_BODY,
)
async def payment_webhook(provider: str, request: Request, state: StateDep) -> WebhookAnswer:
    try:
        chosen = payment_providers(state.settings).get(provider)
    except UnknownProviderError:
        observe_webhook("unknown", "404")
        raise HTTPException(404, "no such payment provider here") from None
    incoming = IncomingRequest(
        body=await request.body(),
        headers={name.lower(): value for name, value in request.headers.items()},
        client_ip=client_ip(
            request.client.host if request.client else None,
            # Every X-Forwarded-For line: a proxy may append its own line after the sender's.
            ",".join(request.headers.getlist("x-forwarded-for")),
            state.settings.trusted_proxy_networks,
        ),
    )
    try:
        notification = await chosen.parse_notification(incoming)
        payment_state = notification.state or await chosen.fetch_payment(
            notification.provider_payment_id
        )
        if isinstance(chosen, ConfirmingProvider) and not chosen.confirms(
            notification, payment_state
        ):
            raise NotificationRejectedError("the provider's record does not confirm it")
        async with unit_of_work(state.session_factory) as session:
            settled = await billing.settle(session, chosen.name, notification, payment_state)
            await session.flush()
            notices = written_in(session)
    except NotificationRejectedError as exc:
        _refused(chosen.name, exc.status_code, exc.reason, incoming.client_ip)
        raise HTTPException(exc.status_code, exc.reason) from None
    except PaymentRejected as exc:
        status = 404 if isinstance(exc, UnknownPayment) else 409
        _refused(chosen.name, status, exc.reason, incoming.client_ip)
        raise HTTPException(status, exc.reason) from None
    except ProviderUnavailableError as exc:
        _refused(chosen.name, 503, str(exc), incoming.client_ip)
        raise HTTPException(503, "the provider cannot be reached; deliver it again") from None
    # Another notice of a payment already paid is, to the provider, a duplicate.
    result = Settlement.DUPLICATE if settled is Settlement.ALREADY_PAID else settled
    log.info(
        "payment_webhook",
        provider=chosen.name.value,
        result=result.value,
        event_key=notification.event_key,
        provider_payment_id=notification.provider_payment_id,
        status=payment_state.status.value,
    )
    observe_webhook(chosen.name.value, result.value)
    if result is Settlement.APPLIED:
        observe_payment(chosen.name.value, payment_state.status.value)
    outbox.kick(notices)
    return WebhookAnswer(result=result)


def _refused(provider: PaymentProvider, status: int, reason: str, ip: str | None) -> None:
    log.warning(
        "payment_webhook_refused", provider=provider.value, status=status, reason=reason, ip=ip
    )
    observe_webhook(provider.value, str(status))


@router.get(
    PAY_PATH + "{payment_id}",
    response_class=HTMLResponse,
    # The page is HTML; its refusal is FastAPI's JSON, documented as such (not as text/html).
    responses={
        404: {
            "description": "No such payment",
            "content": {"application/json": {"schema": Refusal.model_json_schema()}},
        }
    },
)
async def sandbox_pay_page(payment_id: PaymentId, request: Request, state: StateDep) -> str:
    """The sandbox's pay page: what is paid for, and Pay / Decline while it is pending."""
    _sandbox(state.settings)
    page = await _payment(state, payment_id)
    return _render(page, _language(request))


@router.post(
    PAY_PATH + "{payment_id}/pay",
    response_class=RedirectResponse,
    status_code=303,
    responses={404: {"model": Refusal}, 502: {"model": Refusal}},
)
async def sandbox_pay(payment_id: PaymentId, state: StateDep) -> RedirectResponse:
    """Pay: the sandbox tells our webhook the payment succeeded, then shows the page again."""
    return await _decide(state, payment_id, PaymentStatus.SUCCEEDED)


@router.post(
    PAY_PATH + "{payment_id}/decline",
    response_class=RedirectResponse,
    status_code=303,
    responses={404: {"model": Refusal}, 502: {"model": Refusal}},
)
async def sandbox_decline(payment_id: PaymentId, state: StateDep) -> RedirectResponse:
    """Decline: the sandbox tells our webhook the payment was canceled."""
    return await _decide(state, payment_id, PaymentStatus.CANCELED)


def _sandbox(settings: Settings) -> SandboxProvider:
    try:
        provider = payment_providers(settings).get(PaymentProvider.SANDBOX)
    except UnknownProviderError:
        raise HTTPException(404, "the sandbox is not enabled here") from None
    assert isinstance(provider, SandboxProvider)
    return provider


async def _payment(state: StateDep, payment_id: str) -> PayPage:
    try:
        async with unit_of_work(state.session_factory) as session:
            return await billing.pay_page(
                session, provider=PaymentProvider.SANDBOX, provider_payment_id=payment_id
            )
    except UnknownPayment:
        raise HTTPException(404, "no such payment") from None


async def _decide(state: StateDep, payment_id: str, status: PaymentStatus) -> RedirectResponse:
    sandbox = _sandbox(state.settings)
    page = await _payment(state, payment_id)
    if page.payment.status is PaymentStatus.PENDING:
        decided = PaymentState(
            provider_payment_id=page.payment.provider_payment_id,
            status=status,
            amount_minor=page.payment.amount_minor,
            currency=page.payment.currency,
        )
        try:
            async with httpx.AsyncClient(timeout=SANDBOX_TIMEOUT) as http:
                answer = await sandbox.send(http, decided)
        except httpx.HTTPError as exc:
            log.warning("sandbox_notification_failed", error=str(exc))
            raise HTTPException(502, "the sandbox could not reach the webhook") from None
        if not answer.is_success:
            raise HTTPException(502, f"the webhook refused the notification ({answer.status_code})")
    return RedirectResponse(PAY_PATH + payment_id, status_code=303)


def _language(request: Request) -> Language:
    accepted = request.headers.get("accept-language", "")
    return language_from_telegram(accepted.split(",")[0].strip() or None)


def _render(page: PayPage, language: Language) -> str:
    payment = page.payment

    def t(key: str, **params: str) -> str:
        return escape(gettext(language, key, **params), quote=False)

    amount = format_amount(payment.amount_minor, payment.currency, language)
    if payment.status is PaymentStatus.PENDING:
        action = PAY_PATH + escape(payment.provider_payment_id)
        body = (
            f'<form method="post" action="{action}/pay">'
            f'<button type="submit">{t("sandbox.page.pay", amount=amount)}</button></form>'
            f'<form method="post" action="{action}/decline">'
            f'<button type="submit">{t("sandbox.page.decline")}</button></form>'
        )
    else:
        body = f"<p><strong>{t(f'sandbox.page.status.{payment.status.value}')}</strong></p>"
    return (
        f'<!doctype html><html lang="{language.value}"><head><meta charset="utf-8">'
        f"<title>{t('sandbox.page.title')}</title></head><body>"
        f"<h1>{t('sandbox.page.title')}</h1>"
        f"<p>{t('sandbox.page.note')}</p>"
        f"<p>{t('sandbox.page.what', plan=page.plan.name, company=page.company_name)}</p>"
        f"<p>{t('sandbox.page.amount', amount=amount)}</p>"
        f"{body}</body></html>"
    )
