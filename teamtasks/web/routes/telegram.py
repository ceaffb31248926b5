"""`POST /telegram/webhook`: the dispatcher in webhook mode.

Unlike aiogram's default handler, which answers 200 before the handler runs, this answers only
after the update's unit of work committed, and 500 when it failed, so Telegram delivers the
update again (DESIGN.md, Delivery guarantees).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import structlog
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import ValidationError

from teamtasks.bot.middlewares.unit_of_work import UpdateFailedError
from teamtasks.web.deps import StateDep

router = APIRouter(tags=["telegram"])
log = structlog.stdlib.get_logger("teamtasks.web")


@router.post("/telegram/webhook", responses={401: {}, 400: {}, 500: {}, 503: {}})
async def telegram_webhook(
    request: Request,
    state: StateDep,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> dict[str, bool]:
    telegram = state.telegram
    if telegram is None:
        raise HTTPException(503, "the Telegram webhook is not configured on this instance")
    if secret is None or not hmac.compare_digest(secret.encode(), telegram.secret.encode()):
        raise HTTPException(401, "wrong secret token")
    try:
        update = Update.model_validate(await request.json(), context={"bot": telegram.bot})
    except (ValueError, ValidationError) as exc:
        raise HTTPException(400, "the body is not a Telegram update") from exc
    try:
        result: Any = await telegram.dispatcher.feed_update(telegram.bot, update)
    except UpdateFailedError as exc:
        raise HTTPException(500, "the update failed; deliver it again") from exc
    if isinstance(result, TelegramMethod):
        await telegram.dispatcher.silent_call_request(telegram.bot, result)
    return {"ok": True}
