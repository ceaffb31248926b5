"""getMe, getUpdates and the webhook methods."""

from __future__ import annotations

import re
from typing import Any

from .core import Emulator
from .errors import bad_request
from .methods_base import Described, Handler
from .params import Params

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
MAX_POLL_TIMEOUT = 50


async def get_me(emulator: Emulator, params: Params) -> Any:
    return emulator.bot_user


async def get_updates(emulator: Emulator, params: Params) -> Any:
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = min(max(params.integer("timeout") or 0, 0), MAX_POLL_TIMEOUT)
    emulator.updates.set_allowed(
        params.json_value("allowed_updates", "can't parse allowed updates JSON object")
    )
    return await emulator.updates.get_updates(params.integer("offset"), limit, timeout)


async def set_webhook(emulator: Emulator, params: Params) -> Any:
    url = (params.text("url") or "").strip()
    webhook = emulator.webhook
    if params.boolean("drop_pending_updates"):
        emulator.updates.drop_pending()
    emulator.updates.set_allowed(
        params.json_value("allowed_updates", "can't parse allowed updates JSON object")
    )
    if not url:
        was_set = webhook.url is not None
        await webhook.remove()
        return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.text("secret_token") or None
    if secret is not None:
        if len(secret) > 256:
            raise bad_request("secret token is too long")
        if not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
    max_connections = params.integer("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    already = webhook.url == url and webhook.secret == secret
    await webhook.configure(url, secret, max_connections)
    return Described(True, "Webhook is already set" if already else "Webhook was set")


async def delete_webhook(emulator: Emulator, params: Params) -> Any:
    webhook = emulator.webhook
    if params.boolean("drop_pending_updates"):
        emulator.updates.drop_pending()
    was_set = webhook.url is not None
    await webhook.remove()
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


async def get_webhook_info(emulator: Emulator, params: Params) -> Any:
    webhook = emulator.webhook
    info: dict[str, Any] = {
        "url": webhook.url or "",
        "has_custom_certificate": False,
        "pending_update_count": len(emulator.updates.pending),
    }
    if webhook.url is not None:
        info["max_connections"] = webhook.max_connections
        if emulator.updates.allowed:
            info["allowed_updates"] = list(emulator.updates.allowed)
    if webhook.last_error_date is not None:
        info["last_error_date"] = webhook.last_error_date
        info["last_error_message"] = webhook.last_error_message
    return info


METHODS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
