"""The rate limiter on a clock the test moves: what one chat waits for holds up no other chat."""

from __future__ import annotations

import asyncio
import contextlib

from teamtasks.worker.limiter import Limits, MemoryBuckets, RateLimiter


class Clock:
    """The limiter's clock (seconds): it moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_chat_put_on_hold_while_queued_does_not_hold_up_the_chats_queued_behind_it() -> (
    None
):
    """Anna's sender queues for the overall bucket while Telegram puts her chat on hold for an
    hour: when its turn comes it steps aside, and Boris's sender behind it goes at once."""
    clock = Clock()
    limiter = RateLimiter(MemoryBuckets(), Limits(), clock)
    for chat_id in (1, 2, 3):  # the overall burst, spent
        await limiter.acquire(chat_id)
    waiting = asyncio.create_task(limiter.acquire(4))  # takes the turn, waits for the overall
    anna = asyncio.create_task(limiter.acquire(10))
    boris = asyncio.create_task(limiter.acquire(20))
    await asyncio.sleep(0)  # every sender runs up to its place in the queue
    await limiter.hold(10, 3600.0)

    clock.now += 1.0  # the overall bucket refills; Anna's chat is still on hold
    try:
        async with asyncio.timeout(10):
            await asyncio.gather(waiting, boris)
        assert not anna.done(), "Anna's message waits out the hour"
        assert await limiter.ready(20) is False, "Boris's message took his chat's slot"
    finally:
        anna.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await anna


async def test_a_chats_next_slot_counts_from_telegrams_answer_not_from_the_send() -> None:
    """A send that took 0.4 s in transit reached Telegram late: the chat's next message waits
    a whole interval from the answer, or the two would arrive 0.6 s apart."""
    clock = Clock()
    limiter = RateLimiter(MemoryBuckets(), Limits(), clock)
    await limiter.acquire(1)
    clock.now += 0.4
    await limiter.sent(1)

    clock.now += 0.9
    assert await limiter.ready(1) is False
    clock.now += 0.2
    assert await limiter.ready(1) is True
