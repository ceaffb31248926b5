"""Telegram's sending limits, shared by every sender: 30 a second overall, 1 a second in a chat,
20 a minute in a group.

Each limit is a bucket kept as a "theoretical arrival time" (GCRA): a message may go when the
bucket's time minus its burst allowance is not in the future, and taking it moves the time one
interval on. A message takes the overall and its chat's bucket together or neither, so no
bucket is spent on a message that then waits for the other. The buckets live in Redis when
REDIS_URL is set (one Lua script, so N workers share one budget) and in memory otherwise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

Clock = Callable[[], float]
"""Seconds since the epoch: wall time, so that processes on one host or many agree."""


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int = 1

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        return (self.burst - 1) * self.interval


@dataclass(frozen=True)
class Limits:
    """The three limits; tests scale them (same ratios) to run in seconds, not minutes."""

    overall: Rate = Rate(30.0, burst=3)
    private_chat: Rate = Rate(1.0)
    group: Rate = Rate(20.0 / 60.0)

    @classmethod
    def of(cls, per_second: float, chat_per_second: float, group_per_minute: float) -> Limits:
        """A small overall burst absorbs scheduling hiccups; chats get none, and a chat's
        slot counts from Telegram's answer (`RateLimiter.sent`), so jitter cannot crowd it."""
        return cls(Rate(per_second, burst=3), Rate(chat_per_second), Rate(group_per_minute / 60.0))


Bucket = tuple[str, Rate]


class Buckets(Protocol):
    async def check(self, now: float, buckets: Sequence[Bucket], *, take: bool) -> float:
        """Seconds until every bucket allows a message (0: allowed, and taken when `take`)."""
        ...

    async def hold(self, now: float, key: str, seconds: float) -> None:
        """Allow nothing from this bucket for `seconds` (Telegram said: retry after)."""
        ...


class MemoryBuckets:
    def __init__(self) -> None:
        self._times: dict[str, float] = {}

    async def check(self, now: float, buckets: Sequence[Bucket], *, take: bool) -> float:
        times = [max(self._times.get(key, now), now) for key, _ in buckets]
        wait = max(at - rate.tolerance - now for at, (_, rate) in zip(times, buckets, strict=True))
        if wait > 0:
            return wait
        if take:
            for at, (key, rate) in zip(times, buckets, strict=True):
                self._times[key] = at + rate.interval
        return 0.0

    async def hold(self, now: float, key: str, seconds: float) -> None:
        self._times[key] = max(self._times.get(key, now), now + seconds)


_CHECK = """
local now = tonumber(ARGV[1])
local take = ARGV[2] == '1'
local wait = 0
local times = {}
for i, key in ipairs(KEYS) do
  local at = math.max(tonumber(redis.call('GET', key) or now), now)
  times[i] = at
  wait = math.max(wait, at - tonumber(ARGV[2 + 2 * i]) - now)
end
if wait > 0 or not take then
  return tostring(math.max(wait, 0))
end
for i, key in ipairs(KEYS) do
  local at = times[i] + tonumber(ARGV[1 + 2 * i])
  redis.call('SET', key, tostring(at), 'PX', math.ceil((at - now) * 1000) + 1000)
end
return '0'
"""

_HOLD = """
local now = tonumber(ARGV[1])
local until_ = now + tonumber(ARGV[2])
local at = tonumber(redis.call('GET', KEYS[1]) or now)
if until_ > at then
  redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil((until_ - now) * 1000) + 1000)
end
return 1
"""


class RedisBuckets:
    """The buckets as Redis keys (expiring once idle); each check is one atomic script."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._check = redis.register_script(_CHECK)
        self._hold = redis.register_script(_HOLD)

    async def check(self, now: float, buckets: Sequence[Bucket], *, take: bool) -> float:
        args: list[float | str] = [repr(now), "1" if take else "0"]
        for _, rate in buckets:
            args += [repr(rate.interval), repr(rate.tolerance)]
        keys = [self._prefix + key for key, _ in buckets]
        return float(await self._check(keys=keys, args=args))

    async def hold(self, now: float, key: str, seconds: float) -> None:
        await self._hold(keys=[self._prefix + key], args=[repr(now), repr(seconds)])


class RateLimiter:
    """Waits until a message to a chat may go, then takes it from the buckets.

    A sender first waits for its chat alone (no other sender here waits on that), then queues
    for the overall bucket behind the other senders of this process, so they do not all poll
    the buckets at every interval. In that queue it waits for the overall bucket only: if its
    chat is no longer ready when its turn comes (another sender to the chat took it, or Telegram
    put it on hold), it leaves the queue to wait for the chat, and the senders behind it go on.
    """

    def __init__(
        self, buckets: Buckets, limits: Limits | None = None, clock: Clock = time.time
    ) -> None:
        self.buckets = buckets
        self.limits = limits or Limits()
        self._clock = clock
        self._turn = asyncio.Lock()

    def _chat(self, chat_id: int) -> Bucket:
        # Telegram's private chats have the user's (positive) id; groups have negative ids.
        rate = self.limits.group if chat_id < 0 else self.limits.private_chat
        return f"chat:{chat_id}", rate

    async def ready(self, chat_id: int) -> bool:
        """Whether a message to this chat could go now (nothing is taken)."""
        return await self.buckets.check(self._clock(), [self._chat(chat_id)], take=False) <= 0

    async def until_ready(self, chat_id: int) -> None:
        """Wait until a message to this chat could go (nothing is taken)."""
        await self._wait([self._chat(chat_id)], take=False)

    async def acquire(self, chat_id: int) -> None:
        chat = self._chat(chat_id)
        overall = ("all", self.limits.overall)
        while True:
            await self._wait([chat], take=False)
            async with self._turn:
                await self._wait([overall], take=False)
                if await self.buckets.check(self._clock(), [overall, chat], take=True) <= 0:
                    return

    async def hold(self, chat_id: int, seconds: float) -> None:
        await self.buckets.hold(self._clock(), self._chat(chat_id)[0], seconds)

    async def sent(self, chat_id: int) -> None:
        """Count the chat's last message from when Telegram had answered it, not from when it
        was taken: a send slowed in transit then a fast one would otherwise reach Telegram
        closer than the chat's interval (chats have no burst to absorb it)."""
        key, rate = self._chat(chat_id)
        await self.buckets.hold(self._clock(), key, rate.interval)

    async def _wait(self, buckets: Sequence[Bucket], *, take: bool) -> None:
        # Pacing is waiting for a time, not for an event: a sleep is what it takes.
        while (wait := await self.buckets.check(self._clock(), buckets, take=take)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
