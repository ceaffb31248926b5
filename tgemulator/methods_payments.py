"""sendInvoice, createInvoiceLink, answerPreCheckoutQuery and refundStarPayment."""

from __future__ import annotations

import secrets
from typing import Any

from .core import Emulator
from .errors import QUERY_TOO_OLD, bad_request, required
from .keyboards import reply_markup_param
from .methods_base import Handler
from .params import Params
from .payments import invoice_from_params, invoice_json, invoice_key

INVOICE_LINK_PATH = "/emulator/invoice/"


async def send_invoice(emulator: Emulator, params: Params) -> Any:
    chat = emulator.chat_for_bot(params)
    invoice = invoice_from_params(params, allow_subscription=False)
    markup = reply_markup_param(params)
    reply_to = emulator.reply_target(chat, params)
    emulator.flood.check_send(chat.id, is_group=chat.is_group)
    message = emulator.bot_message(chat, {"invoice": invoice_json(invoice)}, markup, reply_to)
    invoice.chat_id, invoice.message_id = chat.id, message.message_id
    emulator.store.invoices[invoice_key(chat.id, message.message_id)] = invoice
    return emulator.serializer.message_json(message)


async def create_invoice_link(emulator: Emulator, params: Params) -> Any:
    invoice = invoice_from_params(params, allow_subscription=True)
    invoice.slug = secrets.token_urlsafe(12)
    emulator.store.invoices[invoice.slug] = invoice
    emulator.store.changed()
    return f"{emulator.config.base_url}{INVOICE_LINK_PATH}{invoice.slug}"


async def answer_pre_checkout_query(emulator: Emulator, params: Params) -> Any:
    query_id = params.text("pre_checkout_query_id")
    if not query_id:
        raise required("pre_checkout_query_id")
    future = emulator.pre_checkouts.get(query_id)
    if future is None or future.done():
        raise bad_request(QUERY_TOO_OLD)
    ok = params.boolean("ok")
    error_message = params.text("error_message")
    if not ok and not error_message:
        raise bad_request("error_message is empty")
    future.set_result({"ok": ok, "error_message": error_message})
    return True


async def refund_star_payment(emulator: Emulator, params: Params) -> Any:
    user_id = params.integer("user_id")
    if user_id is None:
        raise required("user_id")
    charge = emulator.store.charges.get(params.text("telegram_payment_charge_id") or "")
    if charge is None or charge.user_id != user_id:
        raise bad_request("CHARGE_NOT_FOUND")
    if charge.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    charge.refunded = True
    emulator.store.changed()
    return True


METHODS: dict[str, Handler] = {
    "sendInvoice": send_invoice,
    "createInvoiceLink": create_invoice_link,
    "answerPreCheckoutQuery": answer_pre_checkout_query,
    "refundStarPayment": refund_star_payment,
}
