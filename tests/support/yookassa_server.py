"""A local YooKassa for the tests: the API v3 calls we make, its pay page, its notifications.

It speaks YooKassa's JSON over HTTP on a loopback port, and checks what YooKassa checks:

- `POST /v3/payments`: HTTP Basic (shop id and secret key; else 401 `invalid_credentials`), an
  `Idempotence-Key` (else 400); the same key with the same body gives back the payment it
  created, with another body 400; amount as a decimal string with at most two places, a
  currency, a redirect confirmation with a `return_url`. The answer's `confirmation_url` is a
  page of this server.
- `GET /v3/payments/{id}`: the payment as it is now (404 `not_found` for an unknown id).
- The pay page, `GET /checkout/{id}`, has two buttons; `POST /checkout/{id}` with
  `action=pay|cancel` does what YooKassa does when the payer decides: the payment moves on, the
  notification goes to `webhook_url`, and the browser is sent back to the `return_url`.

A test also drives it directly: `succeed`, `cancel` and `refund` change a payment and notify;
`notify` posts any notification body (a forged one too); `fail_next` makes the next API calls
answer 5xx; `requests` records what each API call carried. Notifications come from 127.0.0.1:
tests put that address in YOOKASSA_ALLOWED_IPS.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from typing import Any

import aiohttp
from aiohttp import web

SHOP_ID = "506751"
SECRET_KEY = "test_local-yookassa-secret-key"
AMOUNT_RE = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class RecordedCall:
    """One API call as it arrived: enough to assert on auth and idempotency."""

    method: str
    path: str
    authorized: bool
    idempotence_key: str | None
    body: dict[str, Any] | None


@dataclass
class ShopPayment:
    """A payment as YooKassa keeps it."""

    id: str
    status: str
    value: str
    currency: str
    description: str
    metadata: dict[str, str]
    return_url: str
    capture: bool
    created_at: datetime
    refunded: Decimal = Decimal(0)
    """What refunds have returned so far (a payment may be refunded in parts)."""
    refunds: list[str] = field(default_factory=list)

    def amount(self) -> dict[str, str]:
        return {"value": self.value, "currency": self.currency}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, code: str, description: str, parameter: str | None = None) -> web.Response:
    body: dict[str, Any] = {
        "type": "error",
        "id": str(uuid.uuid4()),
        "code": code,
        "description": description,
    }
    if parameter is not None:
        body["parameter"] = parameter
    return web.json_response(body, status=status)


class YooKassaServer:
    """Start with `await server.start()`; `api_url` goes into YOOKASSA_API_URL."""

    def __init__(
        self,
        *,
        shop_id: str = SHOP_ID,
        secret_key: str = SECRET_KEY,
        webhook_url: str | None = None,
    ) -> None:
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.webhook_url = webhook_url
        self.payments: dict[str, ShopPayment] = {}
        self.requests: list[RecordedCall] = []
        self._keys: dict[str, tuple[str, str]] = {}
        """Idempotence-Key -> (the body it came with, the payment it created)."""
        self._failures: list[int] = []
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.base_url = ""

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v3"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/payments", self._create)
        app.router.add_get("/v3/payments/{payment_id}", self._get)
        app.router.add_get("/checkout/{payment_id}", self._page)
        app.router.add_post("/checkout/{payment_id}", self._decide)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next `count` API calls with `status` before doing anything."""
        self._failures.extend([status] * count)

    # -- what happens at YooKassa, then the notification ------------------------------------

    async def succeed(self, payment_id: str) -> int:
        """The payer paid: succeeded (or waiting_for_capture without capture), then notify."""
        payment = self.payments[payment_id]
        payment.status = "succeeded" if payment.capture else "waiting_for_capture"
        return await self.notify(self.notification(f"payment.{payment.status}", payment_id))

    async def cancel(self, payment_id: str) -> int:
        payment = self.payments[payment_id]
        payment.status = "canceled"
        return await self.notify(self.notification("payment.canceled", payment_id))

    async def refund(self, payment_id: str, value: str | None = None) -> int:
        """A refund of a succeeded payment (of what is left of it unless `value` says less),
        then `refund.succeeded`."""
        payment = self.payments[payment_id]
        assert payment.status == "succeeded", "only a succeeded payment can be refunded"
        left = Decimal(payment.value) - payment.refunded
        returned = Decimal(value) if value is not None else left
        assert 0 < returned <= left, "a refund returns at most what is left"
        payment.refunded += returned
        refund_id = str(uuid.uuid4())
        payment.refunds.append(refund_id)
        refund = {
            "id": refund_id,
            "payment_id": payment_id,
            "status": "succeeded",
            "created_at": _now(),
            "amount": {"value": f"{returned:.2f}", "currency": payment.currency},
        }
        return await self.notify(
            {"type": "notification", "event": "refund.succeeded", "object": refund}
        )

    def notification(self, event: str, payment_id: str) -> dict[str, Any]:
        """The body YooKassa posts for a payment event, the payment as it is now inside."""
        return {
            "type": "notification",
            "event": event,
            "object": self._json(self.payments[payment_id]),
        }

    async def notify(self, body: dict[str, Any]) -> int:
        """POST a notification to `webhook_url` as YooKassa does; returns the answer's status."""
        assert self.webhook_url is not None, "set webhook_url first"
        assert self._http is not None, "start the server first"
        async with self._http.post(self.webhook_url, json=body) as response:
            await response.read()
            return response.status

    # -- the API ----------------------------------------------------------------------------

    def _record(self, request: web.Request, body: dict[str, Any] | None) -> bool:
        authorized = self._authorized(request.headers.get("Authorization", ""))
        self.requests.append(
            RecordedCall(
                request.method,
                request.path,
                authorized,
                request.headers.get("Idempotence-Key"),
                body,
            )
        )
        return authorized

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded, validate=True).decode()
        except ValueError:
            return False
        return hmac.compare_digest(given, f"{self.shop_id}:{self.secret_key}")

    def _failure(self) -> web.Response | None:
        if not self._failures:
            return None
        return _error(self._failures.pop(0), "internal_server_error", "Internal server error")

    async def _create(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        authorized = self._record(request, body if isinstance(body, dict) else None)
        failure = self._failure()
        if failure is not None:
            return failure
        if not authorized:
            return _error(401, "invalid_credentials", "Login or password is incorrect")
        key = request.headers.get("Idempotence-Key")
        if not key or len(key) > 64:
            return _error(400, "invalid_request", "Idempotence key is missing", "Idempotence-Key")
        fingerprint = raw.decode(errors="replace")
        if key in self._keys:
            known_body, payment_id = self._keys[key]
            if known_body != fingerprint:
                return _error(
                    400, "invalid_request", "Idempotence key duplicated", "Idempotence-Key"
                )
            return web.json_response(self._json(self.payments[payment_id]))
        if not isinstance(body, dict):
            return _error(400, "invalid_request", "The body is not a JSON object")
        problem = _invalid(body)
        if problem is not None:
            return _error(400, "invalid_request", f"{problem} is invalid", problem)
        payment = ShopPayment(
            id=str(uuid.uuid4()),
            status="pending",
            value=f"{Decimal(body['amount']['value']):.2f}",
            currency=body["amount"]["currency"],
            description=body.get("description", ""),
            metadata=dict(body.get("metadata") or {}),
            return_url=body["confirmation"]["return_url"],
            capture=bool(body.get("capture", False)),
            created_at=datetime.now(UTC),
        )
        self.payments[payment.id] = payment
        self._keys[key] = (fingerprint, payment.id)
        return web.json_response(self._json(payment))

    async def _get(self, request: web.Request) -> web.Response:
        authorized = self._record(request, None)
        failure = self._failure()
        if failure is not None:
            return failure
        if not authorized:
            return _error(401, "invalid_credentials", "Login or password is incorrect")
        payment = self.payments.get(request.match_info["payment_id"])
        if payment is None:
            return _error(404, "not_found", "Payment not found")
        return web.json_response(self._json(payment))

    def _json(self, payment: ShopPayment) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": payment.id,
            "status": payment.status,
            "paid": payment.status in ("succeeded", "waiting_for_capture"),
            "amount": payment.amount(),
            "created_at": payment.created_at.isoformat().replace("+00:00", "Z"),
            "description": payment.description,
            "metadata": payment.metadata,
            "recipient": {"account_id": self.shop_id, "gateway_id": "2000001"},
            "refundable": payment.status == "succeeded"
            and payment.refunded < Decimal(payment.value),
            "test": True,
        }
        if payment.status == "pending":
            body["confirmation"] = {
                "type": "redirect",
                "return_url": payment.return_url,
                "confirmation_url": f"{self.base_url}/checkout/{payment.id}",
            }
        if payment.refunded:
            body["refunded_amount"] = {
                "value": f"{payment.refunded:.2f}",
                "currency": payment.currency,
            }
        return body

    # -- the pay page -----------------------------------------------------------------------

    async def _page(self, request: web.Request) -> web.Response:
        payment = self.payments.get(request.match_info["payment_id"])
        if payment is None:
            raise web.HTTPNotFound()
        page = (
            f"<!doctype html><title>YooKassa (local)</title><h1>{escape(payment.description)}</h1>"
            f"<p>{payment.value} {payment.currency}: {payment.status}</p>"
            f'<form method="post"><button name="action" value="pay">Pay</button>'
            f'<button name="action" value="cancel">Cancel</button></form>'
        )
        return web.Response(text=page, content_type="text/html")

    async def _decide(self, request: web.Request) -> web.Response:
        payment = self.payments.get(request.match_info["payment_id"])
        if payment is None:
            raise web.HTTPNotFound()
        action = (await request.post()).get("action")
        if payment.status != "pending" or action not in ("pay", "cancel"):
            raise web.HTTPConflict(text="this payment is not waiting for the payer")
        if action == "pay":
            await self.succeed(payment.id)
        else:
            await self.cancel(payment.id)
        raise web.HTTPSeeOther(payment.return_url)


def _invalid(body: dict[str, Any]) -> str | None:
    """The first parameter YooKassa would refuse, or None."""
    amount = body.get("amount")
    if not isinstance(amount, dict) or not AMOUNT_RE.match(str(amount.get("value", ""))):
        return "amount.value"
    if not isinstance(amount.get("value"), str) or Decimal(amount["value"]) <= 0:
        return "amount.value"
    if not CURRENCY_RE.match(str(amount.get("currency", ""))):
        return "amount.currency"
    confirmation = body.get("confirmation")
    if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect":
        return "confirmation.type"
    if not str(confirmation.get("return_url", "")).startswith(("http://", "https://")):
        return "confirmation.return_url"
    if len(str(body.get("description", ""))) > 128:
        return "description"
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        return "metadata"
    return None
