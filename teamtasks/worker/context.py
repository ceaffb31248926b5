"""What every job receives: the settings, the database, the bot, the rate limiter and the clock.

Jobs take `now` from `clock` and nowhere else, so that tests move time instead of waiting.
`stopping` is set on SIGTERM: a job finishes the message in hand and hands back the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiogram import Bot

from teamtasks.config import Settings
from teamtasks.db import SessionFactory
from teamtasks.models.base import utcnow
from teamtasks.worker.limiter import RateLimiter

Clock = Callable[[], datetime]


@dataclass
class WorkerContext:
    settings: Settings
    factory: SessionFactory
    bot: Bot
    limiter: RateLimiter
    clock: Clock = utcnow
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
