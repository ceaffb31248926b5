"""Telegram's flood control as token buckets.

Each bucket holds up to ``burst`` messages and refills at the sustained rate, so a
sender that paces itself at the limit never runs dry, while one that keeps sending
faster gets 429 with the seconds until its next message would be allowed. The limits
are read on every check, so tests may switch them (or ``enabled``) at run time, and the
clock is injectable so rates can be tested without waiting.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import too_many_requests

_EPSILON = 1e-9
"""Refills computed in floating point may fall a hair short of a whole message."""


@dataclass
class FloodLimits:
    enabled: bool = True
    overall_per_second: float = 30.0
    overall_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 5
    clock: Callable[[], float] = field(default=time.monotonic)


@dataclass
class _Bucket:
    tokens: float
    updated: float

    def refill(self, now: float, rate: float, burst: int) -> None:
        self.tokens = min(float(burst), self.tokens + (now - self.updated) * rate)
        self.updated = now

    def wait_time(self, rate: float) -> float:
        missing = 1.0 - self.tokens
        return 0.0 if missing <= _EPSILON else missing / rate


class FloodControl:
    def __init__(self, limits: FloodLimits) -> None:
        self.limits = limits
        self._overall: _Bucket | None = None
        self._chats: dict[int, _Bucket] = {}

    def _bucket(self, current: _Bucket | None, now: float, rate: float, burst: int) -> _Bucket:
        if current is None:
            return _Bucket(float(burst), now)
        current.refill(now, rate, burst)
        return current

    def check_send(self, chat_id: int, *, is_group: bool) -> None:
        """Take one message from the overall and the chat bucket, or raise 429."""
        limits = self.limits
        if not limits.enabled:
            return
        now = limits.clock()
        overall = self._bucket(self._overall, now, limits.overall_per_second, limits.overall_burst)
        self._overall = overall
        if is_group:
            chat_rate, chat_burst = limits.group_per_minute / 60.0, limits.group_burst
        else:
            chat_rate, chat_burst = limits.private_per_second, limits.private_burst
        chat = self._bucket(self._chats.get(chat_id), now, chat_rate, chat_burst)
        self._chats[chat_id] = chat
        wait = max(overall.wait_time(limits.overall_per_second), chat.wait_time(chat_rate))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        overall.tokens -= 1.0
        chat.tokens -= 1.0
